import { Clock, Effect, Either, Layer, ParseResult, Schema } from "effect"
import { Bus } from "../bus/Bus.js"
import { InvalidPayloadError } from "../bus/BusError.js"
import { toSchemaIssues } from "../bus/internal/validation.js"
import { SessionStorage } from "../contracts/session.js"
import { comparePositions, matches } from "./internal/compare.js"
import { encodeCursor, type ListPlan, makeListParser } from "./internal/listPlan.js"
import { findUnstorable, keyOf as readKey, withoutNegativeZero } from "./internal/storable.js"
import * as StorageNamespace from "./StorageNamespace.js"
import type { AnyCrudNamespace } from "./StorageNamespace.js"

/** Options of the memory handlers of one namespace. */
export interface MemoryStorageOptions {
  /** Priority of the handlers in their chains; default 0. */
  readonly priority?: number
}

/** One stored entity: its encoded form, and a decoded copy used only to filter and sort. */
interface Row {
  readonly encoded: unknown
  readonly entity: Record<string, unknown>
}

type Payload = Record<string, unknown>

/**
 * Returns the Layer that registers memory handlers for the get, set, delete
 * and list operations of a CRUD namespace, with a store of its own that lives
 * as long as the Layer. Entities are stored in their schema-encoded form and
 * decoded on every read, so callers never share objects with the store.
 */
export const crud = (namespace: AnyCrudNamespace, options: MemoryStorageOptions = {}): Layer.Layer<never, never, Bus> =>
  Layer.scopedDiscard(Effect.gen(function*() {
    yield* Effect.orDie(StorageNamespace.register(namespace))
    const bus = yield* Bus
    const store = makeStore(namespace)
    const handleOptions = { priority: options.priority ?? 0, synchronous: true, captureServices: false, label: `memory:${namespace.domain}` }
    const { subjects } = namespace

    yield* bus.handle(subjects.get, ({ payload }) => store.get(payload as Payload), handleOptions)
    yield* bus.handle(subjects.set, ({ payload }) =>
      Effect.tap(store.set(payload as Payload), (key) => bus.emit(subjects.changed, { operation: "set", key })).pipe(
        Effect.as({ success: true })
      ), handleOptions)
    yield* bus.handle(subjects.delete, ({ payload }) =>
      Effect.flatMap(store.delete(payload as Payload), (key) =>
        key === undefined
          ? Effect.succeed({ deleted: false as boolean })
          : Effect.as(bus.emit(subjects.changed, { operation: "delete", key }), { deleted: true })), handleOptions)
    yield* bus.handle(subjects.list, ({ payload }) => store.list(payload as Payload), handleOptions)
  }))

/** Memory handlers for every namespace the runtime ships (today: sessions). */
export const layer: Layer.Layer<never, never, Bus> = crud(SessionStorage)

const makeStore = (namespace: AnyCrudNamespace) => {
  const { model, subjects } = namespace
  const { collectionParam, entityParam, keyParam, timestamps } = model
  const rows = new Map<string, Row>()
  const encode = ParseResult.encodeUnknownEither(model.entity, { errors: "all" })
  const decode = Schema.decodeUnknownSync(model.entity)
  const parseList = makeListParser(model.list, subjects.list.request)

  const invalid = (subject: string, issues: InvalidPayloadError["issues"]) => new InvalidPayloadError({ subject, issues })

  const keyOf = (subject: string, payload: Payload): Either.Either<string, InvalidPayloadError> => {
    const result = readKey(payload, keyParam)
    return "key" in result ? Either.right(result.key) : Either.left(invalid(subject, [result.issue]))
  }

  /** Applies the timestamp rules of `set`: keep the stored createdAt, move updatedAt forward. */
  const stamp = (incoming: Payload, existing: Row | undefined, now: number): Payload => {
    if (timestamps === undefined) return incoming
    const previousUpdate = existing === undefined ? -Infinity : (existing.entity[timestamps.updatedAt] as Date).getTime()
    return {
      ...incoming,
      [timestamps.createdAt]: existing === undefined ? incoming[timestamps.createdAt] : existing.entity[timestamps.createdAt],
      [timestamps.updatedAt]: new Date(Math.max(now, previousUpdate + 1))
    }
  }

  const get = (payload: Payload) =>
    Effect.map(keyOf(subjects.get.name, payload), (key) => {
      const row = rows.get(key)
      return { [entityParam]: row === undefined ? null : decode(row.encoded) }
    })

  const set = (payload: Payload) =>
    Effect.gen(function*() {
      const key = yield* keyOf(subjects.set.name, payload)
      const incoming = payload[entityParam] as Payload | undefined
      if (typeof incoming !== "object" || incoming === null || incoming[model.list.key.name] !== key) {
        return yield* invalid(subjects.set.name, [{ path: [entityParam, model.list.key.name], message: `must equal ${keyParam}` }])
      }

      const unstorable = findUnstorable(incoming, [entityParam])
      if (unstorable !== undefined) {
        return yield* invalid(subjects.set.name, [unstorable])
      }
      const now = yield* Clock.currentTimeMillis
      const entity = stamp(incoming, rows.get(key), now)
      const encoded = encode(entity)
      if (Either.isLeft(encoded)) {
        const issues = toSchemaIssues(encoded.left).map((issue) => ({ ...issue, path: [entityParam, ...issue.path] }))
        return yield* invalid(subjects.set.name, issues)
      }
      const stored = withoutNegativeZero(encoded.right)
      rows.set(key, { encoded: stored, entity: decode(stored) as Payload })
      return key
    })

  const remove = (payload: Payload) =>
    Effect.map(keyOf(subjects.delete.name, payload), (key) => (rows.delete(key) ? key : undefined))

  const list = (payload: Payload) =>
    Effect.map(parseList(subjects.list.name, payload), (plan) => {
      const matching = [...rows.values()].filter((row) =>
        plan.conditions.every((condition) => matches(condition, row.entity[condition.field.name])))
      const page = pageOf(plan, matching)
      const result: Payload = {
        [collectionParam]: page.rows.map((row) => decode(row.encoded)),
        nextCursor: page.hasMore ? encodeCursor(plan, page.rows[page.rows.length - 1]!.entity) : null
      }
      if (plan.count) result.total = matching.length
      return result
    })

  return { get, set, delete: remove, list }
}

/** Sorts the matching rows, skips to the cursor position and takes one page. */
const pageOf = (plan: ListPlan, matching: ReadonlyArray<Row>) => {
  const positionOf = (row: Row) => plan.ordering.map(({ field }) => row.entity[field.name])
  const positioned = matching.map((row) => ({ row, position: positionOf(row) }))
  positioned.sort((left, right) => comparePositions(plan.ordering, left.position, right.position))

  const after = plan.after
  const start = after === undefined
    ? 0
    : positioned.findIndex((candidate) => comparePositions(plan.ordering, candidate.position, after) > 0)
  const remaining = start === -1 ? [] : positioned.slice(start)

  return {
    rows: remaining.slice(0, plan.limit).map((candidate) => candidate.row),
    hasMore: remaining.length > plan.limit
  }
}
