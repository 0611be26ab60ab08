import type * as SqlClient from "@effect/sql/SqlClient"
import { drizzle, type SqliteRemoteDatabase } from "drizzle-orm/sqlite-proxy"
import { Effect, Runtime } from "effect"
import { currentRuntime } from "../../bus/PromiseBus.js"

/**
 * A drizzle database for code without Effect. Each query runs with the
 * Effect runtime of the Promise handler that awaits it (kept across `await`
 * by the Promise bus), so a query made while handling a request inside a
 * transaction joins that transaction instead of waiting for it to end.
 * Outside a handler, queries run with `fallback`.
 */
export const makePromiseDrizzle = (sql: SqlClient.SqlClient, fallback: Runtime.Runtime<never>): SqliteRemoteDatabase =>
  drizzle(async (query, params, method) => {
    const runtime = currentRuntime.getStore() ?? fallback
    const statement = sql.unsafe(query, params)
    if (method === "run") {
      await Runtime.runPromise(runtime)(Effect.asVoid(statement.raw))
      return { rows: [] }
    }
    const rows = await Runtime.runPromise(runtime)(statement.values)
    return { rows: method === "get" ? (rows[0] ?? []) as Array<unknown> : rows as Array<Array<unknown>> }
  })
