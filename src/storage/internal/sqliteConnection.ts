import * as SqlClient from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import type BetterSqlite3 from "better-sqlite3"
import { Context, Effect, Stream } from "effect"
import { retryWhileBusy } from "./busy.js"
import type { ConnectionLock } from "./lock.js"

/** How many prepared statements the @effect/sql connection keeps; older ones are finalized by the driver when collected. */
const statementCacheSize = 200

/** Returns the message of a thrown value. */
export const errorMessage = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/** The connections `@effect/sql` uses: one for statements outside transactions, and one per transaction. */
export interface SqlConnections {
  readonly shared: Connection
  /** Creates the handle of a new transaction; it may use the connection while it owns the lock. */
  readonly forTransaction: () => Connection
}

type Mode = "rows" | "raw" | "values"

/**
 * Adapts a better-sqlite3 handle to the connection interface of `@effect/sql`,
 * so `SqlClient` queries (and drizzle through `@effect/sql-drizzle`) run on the
 * same handle as the runtime's own prepared statements.
 *
 * Every statement first checks that it may use the connection: the shared
 * connection when no transaction holds the lock, a transaction's handle while
 * its transaction does. Otherwise it waits for the lock to be free. So a
 * fiber that outlives its transaction (one forked inside it, say) never
 * slips its statements into the next transaction of another fiber.
 */
export const makeSqlConnections = (db: BetterSqlite3.Database, lock: ConnectionLock, busyTimeoutMillis: number): SqlConnections => {
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

  const sqlError = (cause: unknown) => new SqlError({ cause, message: `Failed to execute statement: ${errorMessage(cause)}` })

  const execute = (sql: string, params: ReadonlyArray<unknown>, mode: Mode, prepared: boolean, safeIntegers: boolean) =>
    retryWhileBusy<unknown, SqlError>(
      () => {
        const statement = prepared ? prepare(sql) : db.prepare(sql)
        statement.safeIntegers(safeIntegers)
        if (!statement.reader) {
          const result = statement.run(...params)
          return Effect.succeed(mode === "raw" ? result : [])
        }
        return Effect.succeed(statement.raw(mode === "values").all(...params))
      },
      { busyTimeoutMillis },
      sqlError,
      (_outcome, waited) => sqlError(new Error(`database is locked by another connection (waited ${waited} ms)`))
    )

  /** Builds the methods of a connection that run while `mayRun` returns true, and wait for the lock otherwise. */
  const connection = (mayRun: () => boolean): Connection => {
    const run = (sql: string, params: ReadonlyArray<unknown>, mode: Mode, prepared: boolean): Effect.Effect<any, SqlError> =>
      Effect.withFiberRuntime((fiber) => {
        if (lock.closed) {
          return Effect.fail(sqlError(new Error("the database is closed")))
        }
        if (!mayRun()) {
          return Effect.zipRight(lock.awaitFree, Effect.suspend(() => run(sql, params, mode, prepared)))
        }
        return execute(sql, params, mode, prepared, Context.get(fiber.currentContext, SqlClient.SafeIntegers))
      })
    const withTransform = (rows: Effect.Effect<any, SqlError>, transformRows: (<A extends object>(rows: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined) =>
      transformRows === undefined ? rows : Effect.map(rows, transformRows)

    return {
      execute: (sql, params, transformRows) => withTransform(run(sql, params, "rows", true), transformRows),
      executeRaw: (sql, params) => run(sql, params, "raw", true),
      executeValues: (sql, params) => run(sql, params, "values", true),
      executeUnprepared: (sql, params, transformRows) => withTransform(run(sql, params, "rows", false), transformRows),
      executeStream: (sql, params, transformRows) =>
        Stream.fromIterableEffect(withTransform(run(sql, params, "rows", true), transformRows))
    }
  }

  return {
    shared: connection(() => !lock.held),
    forTransaction: () => {
      const handle: Connection = connection(() => lock.owner === handle || !lock.held)
      return handle
    }
  }
}
