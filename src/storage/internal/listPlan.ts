import { createHash } from "node:crypto"
import { Either, ParseResult, Schema } from "effect"
import { InvalidPayloadError, type SchemaIssue } from "../../bus/BusError.js"
import { toSchemaIssues } from "../../bus/internal/validation.js"
import type { FilterOperator, ListModel } from "../ListQuery.js"
import type { FieldInfo } from "./fields.js"
import { findUnstorable } from "./storable.js"

/** One condition of a list request: a field, an operator and its operand. */
export interface Condition {
  readonly field: FieldInfo
  readonly operator: FilterOperator
  readonly value: unknown
}

/** One ordering key of a list request. */
export interface Ordering {
  readonly field: FieldInfo
  readonly direction: "asc" | "desc"
}

/** A list request, checked and normalized, ready for a backend to run. */
export interface ListPlan {
  readonly conditions: ReadonlyArray<Condition>
  /** Ordering keys; the last one is always the entity key. */
  readonly ordering: ReadonlyArray<Ordering>
  readonly limit: number
  /** The position to continue after (one value per ordering key), when a cursor was given. */
  readonly after: ReadonlyArray<unknown> | undefined
  readonly count: boolean
  /** Identifies the subject, filters and ordering, so a cursor is accepted only by the query that produced it. */
  readonly queryId: string
}

/** The part of a list request that `parse` reads. */
interface ListRequestFields {
  readonly where?: Record<string, Record<string, unknown> | undefined>
  readonly orderBy?: ReadonlyArray<{ readonly field: string; readonly direction?: "asc" | "desc" }>
  readonly limit?: number
  readonly cursor?: string
  readonly count?: boolean
  readonly [directFilter: string]: unknown
}

const operators: ReadonlyArray<FilterOperator> = ["eq", "ne", "in", "gt", "gte", "lt", "lte", "startsWith", "isNull"]

const digest = (text: string): string => createHash("sha256").update(text).digest("base64url").slice(0, 22)

const encodeValue = (field: FieldInfo, value: unknown): unknown =>
  value === null ? null : Schema.encodeSync(field.valueSchema)(value)

const encodeOperand = (condition: Condition): unknown => {
  switch (condition.operator) {
    case "in":
      return (condition.value as ReadonlyArray<unknown>).map((value) => encodeValue(condition.field, value))
    case "isNull":
    case "startsWith":
      return condition.value
    default:
      return encodeValue(condition.field, condition.value)
  }
}

const collectConditions = (model: ListModel, request: ListRequestFields): Array<Condition> => {
  const conditions: Array<Condition> = []
  for (const field of model.directFilters) {
    const value = request[field.name]
    if (value !== undefined) conditions.push({ field, operator: "eq", value })
  }
  for (const field of model.filterable) {
    const filter = request.where?.[field.name]
    if (filter === undefined) continue
    for (const operator of operators) {
      if (filter[operator] !== undefined) conditions.push({ field, operator, value: filter[operator] })
    }
  }
  return conditions
}

const collectOrdering = (model: ListModel, request: ListRequestFields): Array<Ordering> => {
  const ordering: Array<Ordering> = []
  const seen = new Set<string>()
  for (const entry of request.orderBy ?? []) {
    if (seen.has(entry.field)) continue
    seen.add(entry.field)
    ordering.push({ field: model.fields.get(entry.field)!, direction: entry.direction ?? "asc" })
  }
  if (!seen.has(model.key.name)) {
    ordering.push({ field: model.key, direction: "asc" })
  }
  return ordering
}

const cursorIssue = (message: string): ReadonlyArray<SchemaIssue> => [{ path: ["cursor"], message }]

const cursorSeal = (body: string): string => digest(`makaio-cursor:${body}`)

/**
 * Reads a cursor back into a position. The cursor is base64url JSON with a
 * checksum, so an edited or truncated cursor is rejected. The checksum has no
 * secret key, so it catches mistakes, not forgery: a forged cursor is still
 * decoded with the fields' schemas and bound as parameters, so all it can do
 * is start a page elsewhere.
 */
const decodeCursor = (
  cursor: string,
  ordering: ReadonlyArray<Ordering>,
  queryId: string
): Either.Either<ReadonlyArray<unknown>, ReadonlyArray<SchemaIssue>> => {
  const [body, seal, ...rest] = cursor.split(".")
  if (body === undefined || seal === undefined || rest.length > 0 || cursorSeal(body) !== seal) {
    return Either.left(cursorIssue("Invalid cursor: pass the nextCursor of the previous page unchanged."))
  }

  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(body, "base64url").toString("utf8"))
  } catch {
    return Either.left(cursorIssue("Invalid cursor: its content is not readable."))
  }
  const content = parsed as { readonly q?: unknown; readonly p?: unknown }
  if (content.q !== queryId) {
    return Either.left(cursorIssue("This cursor belongs to a list request with other filters or ordering: start again without a cursor."))
  }
  if (!Array.isArray(content.p) || content.p.length !== ordering.length) {
    return Either.left(cursorIssue("Invalid cursor: its position does not match the ordering."))
  }

  const position: Array<unknown> = []
  for (const [index, { field }] of ordering.entries()) {
    const encoded = content.p[index]
    if (encoded === null && field.nullable) {
      position.push(null)
      continue
    }
    const decoded = Schema.decodeUnknownEither(field.valueSchema)(encoded)
    if (Either.isLeft(decoded)) {
      return Either.left(cursorIssue(`Invalid cursor: the position of "${field.name}" is not a valid value.`))
    }
    position.push(decoded.right)
  }
  return Either.right(position)
}

/** Returns the cursor that continues a list after `entity`, the last entity of a page. */
export const encodeCursor = (plan: ListPlan, entity: Record<string, unknown>): string => {
  const position = plan.ordering.map(({ field }) => encodeValue(field, entity[field.name]))
  const body = Buffer.from(JSON.stringify({ q: plan.queryId, p: position }), "utf8").toString("base64url")
  return `${body}.${cursorSeal(body)}`
}

/** Compiles the check of a list request schema once, for `parse`. */
export const makeListParser = (model: ListModel, requestSchema: Schema.Schema.AnyNoContext) => {
  const check = ParseResult.decodeUnknownEither(Schema.typeSchema(requestSchema), { errors: "all", exact: false })

  /**
   * Checks a list request and normalizes it into a plan. Backends call this
   * even when the bus checked the payload, because the bus may be configured
   * not to, and a list must never run on an unchecked query.
   */
  return (subject: string, payload: unknown): Either.Either<ListPlan, InvalidPayloadError> => {
    let checked: Either.Either<unknown, ParseResult.ParseIssue>
    try {
      checked = check(payload)
    } catch (error) {
      if (!(error instanceof RangeError)) throw error
      return Either.left(new InvalidPayloadError({ subject, issues: [{ path: [], message: "is nested too deeply, or refers back to itself" }] }))
    }
    if (Either.isLeft(checked)) {
      return Either.left(new InvalidPayloadError({ subject, issues: toSchemaIssues(checked.left) }))
    }
    const request = checked.right as ListRequestFields
    const unstorable = findUnstorable(request)
    if (unstorable !== undefined) {
      return Either.left(new InvalidPayloadError({ subject, issues: [unstorable] }))
    }

    const conditions = collectConditions(model, request)
    const ordering = collectOrdering(model, request)
    const queryId = digest(JSON.stringify({
      s: subject,
      c: conditions.map((condition) => [condition.field.name, condition.operator, encodeOperand(condition)]),
      o: ordering.map(({ direction, field }) => [field.name, direction])
    }))

    let after: ReadonlyArray<unknown> | undefined
    if (request.cursor !== undefined) {
      const position = decodeCursor(request.cursor, ordering, queryId)
      if (Either.isLeft(position)) {
        return Either.left(new InvalidPayloadError({ subject, issues: position.left }))
      }
      after = position.right
    }

    return Either.right({
      conditions,
      ordering,
      limit: request.limit ?? model.defaultLimit,
      after,
      count: request.count ?? false,
      queryId
    })
  }
}
