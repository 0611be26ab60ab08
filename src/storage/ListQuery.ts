import { Schema } from "effect"
import { describeFields, type FieldInfo, type FieldKind } from "./internal/fields.js"

export type { FieldInfo, FieldKind } from "./internal/fields.js"

/** The filter operators a list request may apply to a declared field. */
export type FilterOperator = "eq" | "ne" | "in" | "gt" | "gte" | "lt" | "lte" | "startsWith" | "isNull"

/**
 * Conditions on one field, all of which must hold. Comparisons never match a
 * null value (as in SQL); use `isNull` to select or exclude nulls. Strings
 * compare by Unicode code point, which is the byte order of their UTF-8 form.
 */
export interface FieldFilter<T> {
  readonly eq?: T
  readonly ne?: T
  /** At most 1,000 values. */
  readonly in?: ReadonlyArray<T>
  readonly gt?: T
  readonly gte?: T
  readonly lt?: T
  readonly lte?: T
  readonly startsWith?: T extends string ? string : never
  readonly isNull?: boolean
}

/** Filters on the filterable fields of an entity; every field's conditions must hold. */
export type Where<Entity, Filterable extends keyof Entity> = {
  readonly [K in Filterable]?: FieldFilter<NonNullable<Entity[K]>>
}

/** One ordering key. Ties are always broken by the entity key, ascending. */
export interface OrderBy<Sortable> {
  readonly field: Sortable
  /** Default `"asc"`. Nulls sort before every other value in ascending order. */
  readonly direction?: "asc" | "desc"
}

/** The query part of a list request, shared by every namespace built with `StorageNamespace.crud`. */
export interface ListQuery<Entity, Filterable extends keyof Entity, Sortable extends keyof Entity> {
  readonly where?: Where<Entity, Filterable>
  readonly orderBy?: ReadonlyArray<OrderBy<Sortable>>
  /** Page size, from 1 to the model's maximum (1,000 unless configured); 50 by default. */
  readonly limit?: number
  /** The `nextCursor` of the previous page; only valid with the same filters and ordering. */
  readonly cursor?: string
  /** Also return `total`, the number of entities matching the filters. */
  readonly count?: boolean
}

/** The description of one entity that a backend needs to serve its list requests. */
export interface ListModel {
  /** The entity's key field; it breaks ties in every ordering. */
  readonly key: FieldInfo
  readonly fields: ReadonlyMap<string, FieldInfo>
  readonly filterable: ReadonlyArray<FieldInfo>
  readonly sortable: ReadonlyArray<FieldInfo>
  /** Fields accepted as top-level equality filters, like `status` in `{ status: "open" }`. */
  readonly directFilters: ReadonlyArray<FieldInfo>
  readonly defaultLimit: number
  readonly maxLimit: number
}

/** Options of a list model. */
export interface ListModelOptions {
  readonly key: string
  readonly filterable?: ReadonlyArray<string>
  readonly sortable?: ReadonlyArray<string>
  readonly directFilters?: ReadonlyArray<string>
  /** Default 50. */
  readonly defaultLimit?: number
  /** Default 1,000. */
  readonly maxLimit?: number
}

const strict = { parseOptions: { onExcessProperty: "error" } } as const

/** The maximum number of values in an `in` filter. SQLite binds each as a parameter, and it allows 32,766 in all. */
export const maxInValues = 1_000

/**
 * Builds the list model of an entity. Throws a `TypeError` naming the field
 * when a declared field does not exist or has a type that cannot be compared
 * (only strings, numbers, bigints, booleans and dates can). A model is a
 * module-level definition, so a bad one is a programming error.
 */
export const makeModel = (entity: Schema.Struct<any>, options: ListModelOptions): ListModel => {
  const fields = describeFields(entity)

  const lookup = (name: string, role: string): FieldInfo => {
    const field = fields.get(name)
    if (field === undefined) {
      throw new TypeError(`The ${role} field "${name}" is not a field of the entity: declare only fields of its schema.`)
    }
    if (field.kind === undefined) {
      throw new TypeError(
        `The ${role} field "${name}" cannot be compared: only string, number, bigint, boolean and Date fields can be ${role}.`
      )
    }
    return field
  }

  const key = lookup(options.key, "key")
  if (key.kind !== "string" || key.nullable) {
    throw new TypeError(`The key field "${options.key}" must be a non-null string.`)
  }

  const defaultLimit = options.defaultLimit ?? 50
  const maxLimit = options.maxLimit ?? 1_000
  if (!Number.isInteger(defaultLimit) || !Number.isInteger(maxLimit) || defaultLimit < 1 || defaultLimit > maxLimit) {
    throw new TypeError(`Invalid list limits (default ${defaultLimit}, maximum ${maxLimit}): use integers with 1 <= default <= maximum.`)
  }

  return {
    key,
    fields,
    filterable: (options.filterable ?? []).map((name) => lookup(name, "filterable")),
    sortable: (options.sortable ?? []).map((name) => lookup(name, "sortable")),
    directFilters: (options.directFilters ?? []).map((name) => lookup(name, "filterable")),
    defaultLimit,
    maxLimit
  }
}

const fieldFilterSchema = (field: FieldInfo) => {
  const value = Schema.optional(field.valueSchema)
  const conditions: Record<string, Schema.Schema.All | Schema.PropertySignature.All> = {
    eq: value,
    ne: value,
    in: Schema.optional(Schema.Array(field.valueSchema).pipe(Schema.maxItems(maxInValues))),
    gt: value,
    gte: value,
    lt: value,
    lte: value,
    isNull: Schema.optional(Schema.Boolean)
  }
  if (field.kind === "string") {
    conditions.startsWith = Schema.optional(Schema.String)
  }
  return Schema.Struct(conditions).annotations(strict)
}

/**
 * Builds the schema of the query fields of a list request: the direct
 * filters, `where`, `orderBy`, `limit`, `cursor` and `count`. Unknown fields
 * and operators are rejected with their path.
 */
export const querySchemaFields = (model: ListModel): Schema.Struct.Fields => {
  const where = Schema.Struct(
    Object.fromEntries(model.filterable.map((field) => [field.name, Schema.optional(fieldFilterSchema(field))]))
  ).annotations(strict)

  const sortableNames = model.sortable.map((field) => field.name)
  const orderField = sortableNames.length === 0 ? Schema.Never : Schema.Literal(...sortableNames)
  const orderBy = Schema.Struct({
    field: orderField,
    direction: Schema.optional(Schema.Literal("asc", "desc"))
  }).annotations(strict)

  return {
    ...Object.fromEntries(model.directFilters.map((field) => [field.name, Schema.optional(field.valueSchema)])),
    where: Schema.optional(where),
    orderBy: Schema.optional(Schema.Array(orderBy)),
    limit: Schema.optional(Schema.Int.pipe(Schema.between(1, model.maxLimit))),
    cursor: Schema.optional(Schema.String),
    count: Schema.optional(Schema.Boolean)
  }
}

/** Marks a struct schema so that unknown fields are rejected rather than dropped. */
export const rejectUnknownFields = <S extends Schema.Schema.AnyNoContext>(schema: S): S =>
  schema.annotations(strict) as S
