import { Either, Option, Predicate, SchemaAST as AST } from "effect"

/** Returned by a compiled decoder when the value is invalid; Effect's decoder then explains why. */
export const invalid: unique symbol = Symbol.for("@makaio/runtime/fastDecode/invalid")

/**
 * Returned when a recursive part turns out not to be compilable; it is
 * treated like `invalid`, so Effect's decoder decides.
 */
const unsupported = invalid

/** Decodes a value of a schema's type side into a fresh copy, or returns `invalid`. */
export type FastDecoder = (input: unknown) => unknown

/** The kinds of JavaScript value a decoder accepts, used to tell union members apart. */
type Kind = "null" | "undefined" | "string" | "number" | "boolean" | "bigint" | "array" | "object" | "other"

interface Compiled {
  readonly decode: FastDecoder
  readonly kinds: ReadonlySet<Kind>
  /** Whether the decoder returns its input unchanged (primitives), so union order cannot matter. */
  readonly scalar: boolean
}

const allKinds: ReadonlySet<Kind> = new Set(["null", "undefined", "string", "number", "boolean", "bigint", "array", "object", "other"])

const kindOf = (value: unknown): Kind => {
  if (value === null) return "null"
  if (Array.isArray(value)) return "array"
  switch (typeof value) {
    case "undefined":
    case "string":
    case "number":
    case "boolean":
    case "bigint":
      return typeof value as Kind
    case "object":
      return "object"
    default:
      return "other"
  }
}

const scalar = (kinds: ReadonlyArray<Kind>, test: (input: unknown) => boolean): Compiled => ({
  decode: (input) => (test(input) ? input : invalid),
  kinds: new Set(kinds),
  scalar: true
})

const parseOptions: AST.ParseOptions = {}

/**
 * Compiles the type side of a schema into a plain function that checks a
 * value and returns a copy of its structs and arrays (dates are copied too),
 * as Effect's decoder does but without building an Effect or an issue tree.
 * Returns undefined when the schema has a part this compiler does not handle
 * exactly like Effect (asynchronous declarations, parse-option annotations,
 * unions whose members could accept the same value, ...); callers then use
 * Effect's decoder for everything. Invalid values always go to Effect's
 * decoder too, which explains the problems.
 */
export const compileFastDecoder = (ast: AST.AST): FastDecoder | undefined => {
  const memo = new Map<AST.AST, Compiled | undefined>()
  const compiled = compile(ast, memo)
  return compiled?.decode
}

const compile = (ast: AST.AST, memo: Map<AST.AST, Compiled | undefined>): Compiled | undefined => {
  if (memo.has(ast)) return memo.get(ast)
  if (Option.isSome(AST.getParseOptionsAnnotation(ast))) return undefined
  memo.set(ast, undefined)
  const result = compileNode(ast, memo)
  memo.set(ast, result)
  return result
}

const compileNode = (ast: AST.AST, memo: Map<AST.AST, Compiled | undefined>): Compiled | undefined => {
  switch (ast._tag) {
    case "StringKeyword":
      return scalar(["string"], Predicate.isString)
    case "NumberKeyword":
      return scalar(["number"], Predicate.isNumber)
    case "BooleanKeyword":
      return scalar(["boolean"], Predicate.isBoolean)
    case "BigIntKeyword":
      return scalar(["bigint"], Predicate.isBigInt)
    case "UndefinedKeyword":
      return scalar(["undefined"], Predicate.isUndefined)
    case "Literal":
      return scalar([kindOf(ast.literal)], (input) => input === ast.literal)
    case "UnknownKeyword":
    case "AnyKeyword":
      return { decode: (input) => input, kinds: allKinds, scalar: false }
    case "Refinement":
      return compileRefinement(ast, memo)
    case "Declaration":
      return compileDeclaration(ast)
    case "TypeLiteral":
      return compileTypeLiteral(ast, memo)
    case "TupleType":
      return compileTuple(ast, memo)
    case "Union":
      return compileUnion(ast, memo)
    case "Suspend":
      return compileSuspend(ast, memo)
    default:
      return undefined
  }
}

const compileRefinement = (ast: AST.Refinement, memo: Map<AST.AST, Compiled | undefined>): Compiled | undefined => {
  const from = compile(ast.from, memo)
  if (from === undefined) return undefined
  return {
    decode: (input) => {
      const value = from.decode(input)
      if (value === invalid) return invalid
      return Option.isNone(ast.filter(value, parseOptions, ast)) ? value : invalid
    },
    kinds: from.kinds,
    scalar: from.scalar
  }
}

/** Declarations without type parameters whose check is synchronous, such as `Date`. */
const compileDeclaration = (ast: AST.Declaration): Compiled | undefined => {
  if (ast.typeParameters.length > 0) return undefined
  const isDate = Option.getOrUndefined(AST.getAnnotation<{ readonly _tag: string }>(ast, AST.TypeConstructorAnnotationId))?._tag === "Date"
  if (isDate) {
    // `DateFromSelf` accepts any `Date` instance; refinements such as "valid date" wrap it and run after.
    return {
      decode: (input) => (input instanceof Date ? new Date(input.getTime()) : invalid),
      kinds: new Set(["object"]),
      scalar: false
    }
  }
  const parse = ast.decodeUnknown()
  return {
    decode: (input) => {
      const result = parse(input, parseOptions, ast)
      return Either.isEither(result) && Either.isRight(result) ? result.right : invalid
    },
    kinds: new Set(["object", "other"]),
    scalar: false
  }
}

const compileTypeLiteral = (ast: AST.TypeLiteral, memo: Map<AST.AST, Compiled | undefined>): Compiled | undefined => {
  if (ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0) {
    return { decode: (input) => (Predicate.isNotNullable(input) ? input : invalid), kinds: allKinds, scalar: false }
  }
  const properties: Array<{ readonly name: PropertyKey; readonly optional: boolean; readonly decode: FastDecoder }> = []
  for (const signature of ast.propertySignatures) {
    const type = compile(signature.type, memo)
    if (type === undefined) return undefined
    properties.push({ name: signature.name, optional: signature.isOptional, decode: type.decode })
  }
  const expected = new Set(properties.map((property) => property.name))
  const indexes: Array<FastDecoder> = []
  for (const signature of ast.indexSignatures) {
    const type = compile(signature.type, memo)
    if (type === undefined || !AST.isStringKeyword(signature.parameter)) return undefined
    indexes.push(type.decode)
  }

  return {
    decode: properties.every((property) => typeof property.name === "string")
      ? generateStructDecoder(properties as never, indexes, expected)
      : (input) => {
        if (!Predicate.isRecord(input)) return invalid
        const output: Record<PropertyKey, unknown> = {}
        for (const property of properties) {
          const present = Object.prototype.hasOwnProperty.call(input, property.name)
          if (!present && property.optional) continue
          const value = property.decode(input[property.name])
          if (value === invalid) return invalid
          output[property.name] = value
        }
        return decodeIndexes(input, output, indexes, expected)
      },
    kinds: new Set(["object"]),
    scalar: false
  }
}

/** Copies the keys that index signatures accept; keys of declared properties stay as those decoded them. */
const decodeIndexes = (
  input: Record<PropertyKey, unknown>,
  output: Record<PropertyKey, unknown>,
  indexes: ReadonlyArray<FastDecoder>,
  expected: ReadonlySet<PropertyKey>
): unknown => {
  for (const decodeValue of indexes) {
    for (const key of Object.keys(input)) {
      const value = decodeValue(input[key])
      if (value === invalid) return invalid
      if (!expected.has(key)) output[key] = value
    }
  }
  return output
}

/**
 * Generates the decoder of a struct with string keys as straight-line code,
 * so the output object is built with a fixed shape (which V8 optimizes far
 * better than keys assigned in a loop). Property names enter the code only
 * through `JSON.stringify`, so no name can change the code's meaning.
 */
const generateStructDecoder = (
  properties: ReadonlyArray<{ readonly name: string; readonly optional: boolean; readonly decode: FastDecoder }>,
  indexes: ReadonlyArray<FastDecoder>,
  expected: ReadonlySet<PropertyKey>
): FastDecoder => {
  const lines = ["if (!isRecord(input)) return invalid", "const output = {}", "let value"]
  properties.forEach((property, index) => {
    const name = JSON.stringify(property.name)
    const assign = [
      `value = decoders[${index}](input[${name}])`,
      "if (value === invalid) return invalid",
      `output[${name}] = value`
    ]
    if (property.optional) {
      lines.push(`if (hasOwn(input, ${name})) {`, ...assign, "}")
    } else {
      lines.push(...assign)
    }
  })
  lines.push(indexes.length === 0 ? "return output" : "return decodeIndexes(input, output, indexes, expected)")
  const factory = new Function("decoders", "invalid", "isRecord", "hasOwn", "decodeIndexes", "indexes", "expected", `return (input) => {\n${lines.join("\n")}\n}`)
  return factory(
    properties.map((property) => property.decode),
    invalid,
    Predicate.isRecord,
    (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key),
    decodeIndexes,
    indexes,
    expected
  ) as FastDecoder
}

const compileTuple = (ast: AST.TupleType, memo: Map<AST.AST, Compiled | undefined>): Compiled | undefined => {
  if (ast.elements.some((element) => element.isOptional) || ast.rest.length > 1) return undefined
  const elements: Array<FastDecoder> = []
  for (const element of ast.elements) {
    const type = compile(element.type, memo)
    if (type === undefined) return undefined
    elements.push(type.decode)
  }
  const restType = ast.rest[0] === undefined ? undefined : compile(ast.rest[0].type, memo)
  if (ast.rest.length === 1 && restType === undefined) return undefined
  const rest = restType?.decode

  return {
    decode: (input) => {
      if (!Array.isArray(input)) return invalid
      if (input.length < elements.length || (rest === undefined && input.length > elements.length)) return invalid
      const output = new Array<unknown>(input.length)
      for (let index = 0; index < input.length; index++) {
        const decodeElement = index < elements.length ? elements[index]! : rest!
        const value = decodeElement(input[index])
        if (value === invalid) return invalid
        output[index] = value
      }
      return output
    },
    kinds: new Set(["array"]),
    scalar: false
  }
}

/**
 * Unions are compiled only when Effect's choice of member cannot differ from
 * trying them in order: every member returns its input unchanged, or no two
 * members accept the same kind of value.
 */
const compileUnion = (ast: AST.Union, memo: Map<AST.AST, Compiled | undefined>): Compiled | undefined => {
  const members: Array<Compiled> = []
  for (const type of ast.types) {
    const member = compile(type, memo)
    if (member === undefined) return undefined
    members.push(member)
  }
  const kinds = new Set(members.flatMap((member) => [...member.kinds]))

  if (members.every((member) => member.scalar)) {
    return {
      decode: (input) => {
        for (const member of members) {
          if (member.decode(input) !== invalid) return input
        }
        return invalid
      },
      kinds,
      scalar: true
    }
  }

  const byKind = new Map<Kind, Array<Compiled>>()
  for (const member of members) {
    for (const kind of member.kinds) {
      byKind.set(kind, [...(byKind.get(kind) ?? []), member])
    }
  }
  if ([...byKind.values()].some((candidates) => candidates.length > 1 && !candidates.every((member) => member.scalar))) {
    return undefined
  }
  return {
    decode: (input) => {
      for (const member of byKind.get(kindOf(input)) ?? []) {
        const value = member.decode(input)
        if (value !== invalid) return value
      }
      return invalid
    },
    kinds,
    scalar: false
  }
}

/**
 * Recursive schemas: the target is compiled on first use, because the type
 * side of a suspension builds a new node each time it is resolved. Its
 * decoder is kept, so each level of nesting is compiled once.
 */
const compileSuspend = (ast: AST.Suspend, memo: Map<AST.AST, Compiled | undefined>): Compiled => {
  let target: Compiled | undefined | null = null
  return {
    decode: (input) => {
      if (target === null) target = compile(ast.f(), memo)
      return target === undefined ? unsupported : target.decode(input)
    },
    kinds: allKinds,
    scalar: false
  }
}
