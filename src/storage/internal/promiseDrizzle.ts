import type * as SqlClient from "@effect/sql/SqlClient"
import { TransactionRollbackError } from "drizzle-orm/errors"
import { drizzle, type SqliteRemoteDatabase } from "drizzle-orm/sqlite-proxy"
import { Cause, Effect, Exit, Runtime } from "effect"
import { currentRuntime } from "../../bus/PromiseBus.js"

/** Runs an effect in the runtime's `Database.transaction`. */
export type RunTransaction = <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<A, unknown>

/**
 * Builds a drizzle database for code without Effect. Each query runs with the Effect
 * runtime of the Promise handler that awaits it (kept across `await` by the
 * Promise bus). So a query made while handling a request inside a
 * transaction joins that transaction instead of waiting for it to end.
 * Outside a handler, queries run with `fallback`. Its `transaction` runs
 * through `runTransaction`, the runtime's `Database.transaction`.
 */
export const makePromiseDrizzle = (sql: SqlClient.SqlClient, runTransaction: RunTransaction, fallback: Runtime.Runtime<never>): SqliteRemoteDatabase => {
  const db = drizzle(async (query, params, method) => {
    const runtime = currentRuntime.getStore() ?? fallback
    const statement = sql.unsafe(query, params)
    if (method === "run") {
      await Runtime.runPromise(runtime)(Effect.asVoid(statement.raw))
      return { rows: [] }
    }
    const rows = await Runtime.runPromise(runtime)(statement.values)
    return { rows: method === "get" ? (rows[0] ?? []) as Array<unknown> : rows as Array<Array<unknown>> }
  })
  return Object.assign(db, { transaction: makeTransaction(db, runTransaction, fallback) })
}

/**
 * Builds a replacement for drizzle's `transaction`. drizzle's own version
 * sends a bare `BEGIN` through the shared connection, outside the runtime's
 * lock, so it would join or break whatever transaction another fiber has
 * open. This one runs the callback inside `runTransaction`, handing it `db`
 * (whose queries follow the callback's runtime) plus `rollback`.
 */
export const makeTransaction = (db: SqliteRemoteDatabase, runTransaction: RunTransaction, fallback: Runtime.Runtime<never>) =>
<T>(callback: (tx: SqliteRemoteDatabase & { rollback: () => never }) => Promise<T>): Promise<T> => {
  const tx = Object.assign(Object.create(db) as SqliteRemoteDatabase, {
    rollback: (): never => {
      throw new TransactionRollbackError()
    }
  })
  const body = Effect.flatMap(Effect.runtime<never>(), (inside) =>
    Effect.tryPromise({ try: () => currentRuntime.run(inside, () => callback(tx)), catch: (error) => error }))
  return Runtime.runPromiseExit(currentRuntime.getStore() ?? fallback)(runTransaction(body)).then((exit) => {
    if (Exit.isSuccess(exit)) return exit.value
    throw Cause.squash(exit.cause)
  })
}
