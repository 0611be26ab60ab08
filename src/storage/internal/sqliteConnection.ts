import * as SqlClient from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import type BetterSqlite3 from "better-sqlite3"
import { Context, Effect, Stream } from "effect"

/** How many prepared statements the @effect/sql connection keeps; older ones are finalized by the driver when collected. */
const statementCacheSize = 200

/**
 * Adapts a better-sqlite3 handle to the connection interface of `@effect/sql`,
 * so `SqlClient` queries (and drizzle through `@effect/sql-drizzle`) run on the
 * same handle as the runtime's own prepared statements.
 */
export const makeSqlConnection = (db: BetterSqlite3.Database): Connection => {
  const statements = new Map<string, BetterSqlite3.Statement>()

  const prepare = (sql: string): BetterSqlite3.Statement => {
    let statement = statements.get(sql)
    if (statement === undefined) {
      statement = db.prepare(sql)
      if (statements.size >= statementCacheSize) {
        statements.delete(statements.keys().next().value!)
      }
    } else {
      statements.delete(sql)
    }
    statements.set(sql, statement)
    return statement
  }

  const run = (sql: string, params: ReadonlyArray<unknown>, mode: "rows" | "raw" | "values", prepared: boolean) =>
    Effect.withFiberRuntime<any, SqlError>((fiber) => {
      try {
        const statement = prepared ? prepare(sql) : db.prepare(sql)
        statement.safeIntegers(Context.get(fiber.currentContext, SqlClient.SafeIntegers))
        if (!statement.reader) {
          const result = statement.run(...params)
          return Effect.succeed(mode === "raw" ? result : [])
        }
        if (mode === "values") {
          return Effect.succeed(statement.raw(true).all(...params))
        }
        return Effect.succeed(statement.raw(false).all(...params))
      } catch (cause) {
        return Effect.fail(new SqlError({ cause, message: `Failed to execute statement: ${errorMessage(cause)}` }))
      }
    })

  return {
    execute: (sql, params, transformRows) => {
      const rows = run(sql, params, "rows", true)
      return transformRows === undefined ? rows : Effect.map(rows, transformRows)
    },
    executeRaw: (sql, params) => run(sql, params, "raw", true),
    executeValues: (sql, params) => run(sql, params, "values", true),
    executeUnprepared: (sql, params, transformRows) => {
      const rows = run(sql, params, "rows", false)
      return transformRows === undefined ? rows : Effect.map(rows, transformRows)
    },
    executeStream: (sql, params, transformRows) =>
      Stream.fromIterableEffect(
        transformRows === undefined ? run(sql, params, "rows", true) : Effect.map(run(sql, params, "rows", true), transformRows)
      )
  }
}

/** Returns the message of a thrown value. */
export const errorMessage = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))
