import type BetterSqlite3 from "better-sqlite3"
import { type Column, eq, getTableColumns, type InferInsertModel, type InferSelectModel, sql, type Table } from "drizzle-orm"
import { Clock, Effect, Either, Layer, type Schema } from "effect"
import { Bus } from "../bus/Bus.js"
import { InvalidPayloadError, type SchemaIssue } from "../bus/BusError.js"
import { checkSync } from "../bus/internal/validation.js"
import { Database, type DatabaseError } from "./Database.js"
import { makeListCompiler, valuesOf } from "./internal/drizzleList.js"
import { compileParams, makeRowCodec, requireSqliteTable, type RowCodec } from "./internal/drizzleRows.js"
import { encodeCursor, makeListParser } from "./internal/listPlan.js"
import { findUnstorable, keyOf as readKey } from "./internal/storable.js"
import { EntityDecodeError, StorageBackendError } from "./StorageError.js"
import * as StorageNamespace from "./StorageNamespace.js"
import type { AnyCrudNamespace, CrudNamespace } from "./StorageNamespace.js"

/** The entity type of a CRUD namespace. */
export type EntityOf<N> = N extends CrudNamespace<any, infer O> ? Schema.Schema.Type<O["entity"]> : never

/** Options of the drizzle handlers of one namespace. */
export interface DrizzleOptions<Entity, T extends Table> {
  /** The table's key column; it stores the entity's key field. */
  readonly key: Column
  /** Converts an entity into a row of the table. */
  readonly toRow: (entity: Entity) => InferInsertModel<T>
  /** Converts a row of the table into an entity; the result is checked against the entity schema. */
  readonly fromRow: (row: InferSelectModel<T>) => Entity
  /**
   * The column of each entity field that lists filter or sort on, or that
   * stores a maintained timestamp, when its property name differs from the field's.
   */
  readonly columns?: { readonly [Field in keyof Entity]?: Column }
  /** Priority of the handlers in their chains; default 0. */
  readonly priority?: number
}

/** The state shared by the get, set, delete and list handlers of one namespace. */
interface Context<Entity> {
  readonly namespace: AnyCrudNamespace
  readonly table: Table
  readonly key: Column
  readonly codec: RowCodec<Entity>
  readonly columnOf: (field: string) => Column
  readonly database: Database["Type"]
  readonly bus: Bus["Type"]
  readonly handleOptions: { readonly priority: number; readonly label: string; readonly synchronous: true; readonly captureServices: false }
}

const backendError = (namespace: AnyCrudNamespace, operation: string) => (error: DatabaseError) =>
  new StorageBackendError({ namespace: namespace.domain, operation, reason: error.reason, code: error.code })

const invalid = (subject: string, issues: ReadonlyArray<SchemaIssue>) => new InvalidPayloadError({ subject, issues })

const prepareRaw = (connection: BetterSqlite3.Database, query: { toSQL: () => { sql: string; params: Array<unknown> } }) => {
  const { params, sql: text } = query.toSQL()
  const statement = connection.prepare(text)
  statement.safeIntegers(true)
  if (statement.reader) statement.raw(true)
  return { statement, bind: compileParams(params) }
}

/** Builds what the handlers share; throws a `TypeError` for a table of another dialect or a field without a column. */
const makeContext = <N extends AnyCrudNamespace, T extends Table>(namespace: N, table: T, options: DrizzleOptions<EntityOf<N>, T>) =>
  Effect.gen(function*() {
    requireSqliteTable(table)
    yield* Effect.orDie(StorageNamespace.register(namespace))
    const database = yield* Database
    const bus = yield* Bus

    const tableColumns = getTableColumns(table) as Record<string, Column>
    const overrides = (options.columns ?? {}) as Record<string, Column | undefined>
    const columnOf = (field: string): Column => {
      const column = overrides[field] ?? tableColumns[field]
      if (column === undefined) {
        throw new TypeError(`Field "${field}" of namespace "${namespace.domain}" has no column: name one in the "columns" option.`)
      }
      return column
    }
    const codec = makeRowCodec<EntityOf<N>>(
      table,
      namespace.model.entity as unknown as Schema.Schema<EntityOf<N>>,
      options.toRow as (entity: EntityOf<N>) => Record<string, unknown>,
      options.fromRow as (row: Record<string, unknown>) => EntityOf<N>
    )
    const context: Context<EntityOf<N>> = {
      namespace,
      table,
      key: options.key,
      codec,
      columnOf,
      database,
      bus,
      handleOptions: { priority: options.priority ?? 0, label: `sqlite:${namespace.domain}`, synchronous: true, captureServices: false }
    }
    return context
  })

/** Registers the get, set and delete handlers. */
const registerCrud = <Entity>(context: Context<Entity>) =>
  Effect.gen(function*() {
    const { bus, codec, database, handleOptions, key, namespace, table } = context
    const { keyParam, entityParam, timestamps } = namespace.model
    const { subjects } = namespace
    const drizzle = database.drizzle
    const keyField = namespace.model.list.key.name

    const select = prepareRaw(database.connection, drizzle.select().from(table as never).where(eq(key, sql.placeholder("key"))) as never)
    const remove = prepareRaw(database.connection, drizzle.delete(table as never).where(eq(key, sql.placeholder("key"))) as never)

    // An upsert in one statement: the stored createdAt is kept, and updatedAt moves forward even within one millisecond.
    const updated: Record<string, unknown> = {}
    for (const { column, property } of codec.columns) {
      if (column === key || (timestamps !== undefined && column === context.columnOf(timestamps.createdAt))) continue
      updated[property] = sql`excluded.${sql.identifier(column.name)}`
    }
    if (timestamps !== undefined) {
      const column = context.columnOf(timestamps.updatedAt)
      updated[propertyOf(codec, column)] = sql`max(excluded.${sql.identifier(column.name)}, ${column} + 1)`
    }
    const placeholders = Object.fromEntries(codec.columns.map(({ property }) => [property, sql.placeholder(property)]))
    const upsert = prepareRaw(
      database.connection,
      drizzle.insert(table as never).values(placeholders as never).onConflictDoUpdate({ target: key as never, set: updated as never }) as never
    )

    const decodeRow = (keyValue: string, raw: ReadonlyArray<unknown>) => {
      const decoded = codec.decode(raw)
      return Either.isRight(decoded)
        ? Effect.succeed(decoded.right)
        : Effect.fail(new EntityDecodeError({ namespace: namespace.domain, key: keyValue, issues: decoded.left }))
    }

    yield* bus.handle(subjects.get, ({ deadline, payload }) => {
      const read = readKey(payload, keyParam)
      if ("issue" in read) return Effect.fail(invalid(subjects.get.name, [read.issue]))
      const keyValue = read.key
      return database.run("get", (): Effect.Effect<Record<string, unknown>, EntityDecodeError> => {
        const raw = select.statement.get(...select.bind({ key: keyValue })) as ReadonlyArray<unknown> | undefined
        return raw === undefined
          ? Effect.succeed({ [entityParam]: null })
          : Effect.map(decodeRow(keyValue, raw), (entity) => ({ [entityParam]: entity }))
      }, deadline).pipe(Effect.catchTag("DatabaseError", (error) => Effect.fail(backendError(namespace, "get")(error))))
    }, handleOptions)

    const checkEntity = makeEntityCheck(namespace)
    yield* bus.handle(subjects.set, ({ deadline, payload }) =>
      Effect.gen(function*() {
        const keyValue = payload[keyParam] as string
        const incoming = yield* checkEntity(payload[entityParam], payload, keyField)
        const now = yield* Clock.currentTimeMillis
        const stamped = timestamps === undefined ? incoming : { ...incoming, [timestamps.updatedAt]: new Date(now) }
        const row = codec.encode(stamped as Entity)
        if (Either.isLeft(row)) {
          return yield* invalid(subjects.set.name, row.left.map((issue) => ({ ...issue, path: [entityParam, ...issue.path] })))
        }
        yield* database.run("set", () => {
          upsert.statement.run(...upsert.bind(row.right))
          return Effect.void
        }, deadline).pipe(Effect.catchTag("DatabaseError", (error) => Effect.fail(backendError(namespace, "set")(error))))
        yield* database.afterCommit(Effect.orDie(bus.emit(subjects.changed, { operation: "set", key: keyValue })))
        return { success: true }
      }), handleOptions)

    yield* bus.handle(subjects.delete, ({ deadline, payload }) =>
      Effect.gen(function*() {
        const read = readKey(payload, keyParam)
        if ("issue" in read) return yield* invalid(subjects.delete.name, [read.issue])
        const keyValue = read.key
        const changes = yield* database.run("delete", () =>
          Effect.succeed(remove.statement.run(...remove.bind({ key: keyValue })).changes), deadline).pipe(
            Effect.catchTag("DatabaseError", (error) => Effect.fail(backendError(namespace, "delete")(error)))
          )
        if (changes === 0) {
          return { deleted: false }
        }
        yield* database.afterCommit(Effect.orDie(bus.emit(subjects.changed, { operation: "delete", key: keyValue })))
        return { deleted: true }
      }), handleOptions)
  })

/** Checks the entity of a set request; the bus may be configured not to, and nothing invalid may reach the table. */
const makeEntityCheck = (namespace: AnyCrudNamespace) => {
  const subject = namespace.subjects.set.name
  const { entityParam, keyParam } = namespace.model
  const decode = checkSync(namespace.model.entity)
  return (value: unknown, payload: Record<string, unknown>, keyField: string): Effect.Effect<Record<string, unknown>, InvalidPayloadError> => {
    const read = readKey(payload, keyParam)
    if ("issue" in read) {
      return Effect.fail(invalid(subject, [read.issue]))
    }
    const keyValue = read.key
    const unstorable = findUnstorable(value, [entityParam])
    if (unstorable !== undefined) {
      return Effect.fail(invalid(subject, [unstorable]))
    }
    const decoded = decode(value)
    if (Either.isLeft(decoded)) {
      const issues = decoded.left.map((issue) => ({ ...issue, path: [entityParam, ...issue.path] }))
      return Effect.fail(invalid(subject, issues))
    }
    if (decoded.right[keyField] !== keyValue) {
      return Effect.fail(invalid(subject, [{ path: [entityParam, keyField], message: `must equal ${keyParam}` }]))
    }
    return Effect.succeed(decoded.right)
  }
}

/** Registers the list handler. */
const registerList = <Entity>(context: Context<Entity>) =>
  Effect.gen(function*() {
    const { bus, codec, columnOf, database, handleOptions, namespace, table } = context
    const { collectionParam } = namespace.model
    const list = namespace.subjects.list
    const parse = makeListParser(namespace.model.list, list.request)
    const compile = makeListCompiler(database.drizzle, database.connection, table, columnOf)

    // Fails now, at boot, when a declared field has no column.
    for (const field of [...namespace.model.list.filterable, ...namespace.model.list.sortable, ...namespace.model.list.directFilters]) {
      columnOf(field.name)
    }

    yield* bus.handle(list, ({ deadline, payload }) =>
      Effect.flatMap(parse(list.name, payload), (plan) =>
        database.run("list", () => {
          const statements = compile(plan)
          const values = valuesOf(plan, columnOf)
          const rows = statements.page.statement.all(...statements.page.bind(values)) as Array<ReadonlyArray<unknown>>
          const total = statements.count === undefined
            ? undefined
            : Number((statements.count.statement.get(...statements.count.bind(values)) as ReadonlyArray<unknown>)[0])

          const entities: Array<Record<string, unknown>> = []
          for (const raw of rows.slice(0, plan.limit)) {
            const decoded = codec.decode(raw)
            if (Either.isLeft(decoded)) {
              const keyValue = String(raw[codec.columns.findIndex(({ column }) => column === context.key)])
              return Effect.fail(new EntityDecodeError({ namespace: namespace.domain, key: keyValue, issues: decoded.left }))
            }
            entities.push(decoded.right as Record<string, unknown>)
          }
          const hasMore = rows.length > plan.limit
          const result: Record<string, unknown> = {
            [collectionParam]: entities,
            nextCursor: hasMore ? encodeCursor(plan, entities[entities.length - 1]!) : null
          }
          if (total !== undefined) result.total = total
          return Effect.succeed(result)
        }, deadline).pipe(Effect.catchTag("DatabaseError", (error) => Effect.fail(backendError(namespace, "list")(error))))), handleOptions)
  })

const propertyOf = <Entity>(codec: RowCodec<Entity>, column: Column): string =>
  codec.columns.find((candidate) => candidate.column === column)!.property

/**
 * Returns a Layer that registers get, set and delete handlers for a CRUD
 * namespace, served from a drizzle table on the `Database` connection. Each
 * handler's SQL is built once, here, and runs as a prepared statement that
 * joins the caller's transaction. `set` is a single upsert that keeps the
 * stored `createdAt`. Successful writes emit `changed` after their commit.
 */
export const crud = <N extends AnyCrudNamespace, T extends Table>(
  namespace: N,
  table: T,
  options: DrizzleOptions<EntityOf<N>, T>
): Layer.Layer<never, never, Bus | Database> =>
  Layer.scopedDiscard(Effect.flatMap(makeContext(namespace, table, options), registerCrud))

/**
 * Returns a Layer that registers the list handler of a CRUD namespace: the
 * full list model (filters, ordering with key tie-break, keyset cursor,
 * limit, optional count), translated to SQL with drizzle's query builder and
 * bound parameters only. The statements of each filter shape are prepared once
 * and reused.
 */
export const list = <N extends AnyCrudNamespace, T extends Table>(
  namespace: N,
  table: T,
  options: DrizzleOptions<EntityOf<N>, T>
): Layer.Layer<never, never, Bus | Database> =>
  Layer.scopedDiscard(Effect.flatMap(makeContext(namespace, table, options), registerList))

/** Both `crud` and `list`: every operation of the namespace, sharing one row codec. */
export const layer = <N extends AnyCrudNamespace, T extends Table>(
  namespace: N,
  table: T,
  options: DrizzleOptions<EntityOf<N>, T>
): Layer.Layer<never, never, Bus | Database> =>
  Layer.scopedDiscard(Effect.flatMap(makeContext(namespace, table, options), (context) =>
    Effect.zipRight(registerCrud(context), registerList(context))))

/** The name of `crud` in the Promise-based original API. */
export const createDrizzleCrudHandlers = crud

/** The name of `list` in the Promise-based original API. */
export const createDrizzleListHandler = list
