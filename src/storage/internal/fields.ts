import { Option, Schema, SchemaAST as AST } from "effect"

/**
 * The kind of a field's values, which decides how they compare and how backends store them. Filters and
 * ordering are defined for these kinds only.
 */
export type FieldKind = "string" | "number" | "bigint" | "boolean" | "date"

/** The list model's description of one field of an entity. */
export interface FieldInfo {
  readonly name: string
  readonly kind: FieldKind | undefined
  readonly nullable: boolean
  /** The field's schema without `null`, used for filter values and cursor positions. */
  readonly valueSchema: Schema.Schema.AnyNoContext
}

const isNullLiteral = (ast: AST.AST): boolean => AST.isLiteral(ast) && ast.literal === null

const kindOf = (ast: AST.AST): FieldKind | undefined => {
  switch (ast._tag) {
    case "Refinement":
      return kindOf(ast.from)
    case "StringKeyword":
    case "TemplateLiteral":
      return "string"
    case "NumberKeyword":
      return "number"
    case "BigIntKeyword":
      return "bigint"
    case "BooleanKeyword":
      return "boolean"
    case "Literal":
      return ast.literal === null ? undefined : kindOfLiteral(ast.literal)
    case "Union": {
      const kinds = new Set(ast.types.map(kindOf))
      return kinds.size === 1 ? [...kinds][0] : undefined
    }
    case "Declaration": {
      const constructor = AST.getAnnotation<{ readonly _tag: string }>(ast, AST.TypeConstructorAnnotationId)
      return Option.isSome(constructor) && constructor.value._tag === "Date" ? "date" : undefined
    }
    default:
      return undefined
  }
}

const kindOfLiteral = (literal: AST.LiteralValue): FieldKind | undefined => {
  switch (typeof literal) {
    case "string":
      return "string"
    case "number":
      return "number"
    case "bigint":
      return "bigint"
    case "boolean":
      return "boolean"
    default:
      return undefined
  }
}

/** Removes `null` from a union schema, keeping its transformations. */
const withoutNull = (schema: Schema.Schema.AnyNoContext): { readonly schema: Schema.Schema.AnyNoContext; readonly nullable: boolean } => {
  const ast = schema.ast
  if (!AST.isUnion(ast) || !ast.types.some(isNullLiteral)) {
    return { schema, nullable: false }
  }
  const rest = ast.types.filter((member) => !isNullLiteral(member))
  return { schema: Schema.make(AST.Union.make(rest)), nullable: true }
}

/** Describes each field of a struct schema: its kind, whether it is nullable, and its schema without null. */
export const describeFields = (entity: Schema.Struct<any>): ReadonlyMap<string, FieldInfo> => {
  const fields = new Map<string, FieldInfo>()
  for (const [name, field] of Object.entries(entity.fields)) {
    if (!Schema.isSchema(field)) continue
    const { nullable, schema } = withoutNull(field as Schema.Schema.AnyNoContext)
    fields.set(name, { name, kind: kindOf(Schema.typeSchema(schema).ast), nullable, valueSchema: schema })
  }
  return fields
}
