import * as fs from "node:fs"
import * as path from "node:path"
import type * as Reactivity from "@effect/experimental/Reactivity"
import * as SqlClient from "@effect/sql/SqlClient"
import * as SqliteDrizzle from "@effect/sql-drizzle/Sqlite"
import * as Statement from "@effect/sql/Statement"
import BetterSqlite3 from "better-sqlite3"
import type { SqlError } from "@effect/sql/SqlError"
import { Clock, Context, Duration, Effect, type Scope } from "effect"
import {
  DatabaseError,
  DatabaseOpenError,
  type DatabaseService,
  defaultBusyTimeout,
  defaultFilename,
  type SqliteOptions
} from "../Database.js"
import { AfterCommitQueue } from "./afterCommit.js"
import { ConnectionLock } from "./lock.js"
import { errorMessage, makeSqlConnection } from "./sqliteConnection.js"

/** Every SQLite database file starts with this 16-byte header. */
const sqliteHeader = Buffer.from("SQLite format 3\u0000", "latin1")


const isMemory = (filename: string): boolean => filename === ":memory:" || filename === ""

/**
 * Checks an existing file before the driver opens it: a file that is not
 * empty and does not start with the SQLite header is rejected, so it is
 * never turned into a database or written to.
 */
const checkExistingFile = (file: string): Effect.Effect<void, DatabaseOpenError> =>
  Effect.try({
    try: () => {
      if (!fs.existsSync(file)) return
      const stat = fs.statSync(file)
      if (!stat.isFile()) throw new Error("the path exists but is not a file")
      if (stat.size === 0) return
      const header = Buffer.alloc(sqliteHeader.length)
      const descriptor = fs.openSync(file, "r")
      try {
        fs.readSync(descriptor, header, 0, header.length, 0)
      } finally {
        fs.closeSync(descriptor)
      }
      if (!header.equals(sqliteHeader)) {
        throw new Error("the file exists but is not a SQLite database; it was left untouched. Pass another path.")
      }
    },
    catch: (cause) => new DatabaseOpenError({ path: file, reason: errorMessage(cause) })
  })

const createDirectory = (file: string): Effect.Effect<void, DatabaseOpenError> =>
  Effect.try({
    try: () => void fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true }),
    catch: (cause) => new DatabaseOpenError({ path: file, reason: `cannot create its directory: ${errorMessage(cause)}` })
  })

/** Opens the handle and applies the runtime's settings; reads the schema first, so a damaged file fails here. */
const openHandle = (file: string, options: SqliteOptions): Effect.Effect<BetterSqlite3.Database, DatabaseOpenError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.try({
      try: () => {
        const readonly = options.readonly === true && !isMemory(file)
        const db = new BetterSqlite3(file, { readonly, fileMustExist: readonly })
        try {
          db.pragma("schema_version")
          if (!isMemory(file) && !readonly) db.pragma("journal_mode = WAL")
          db.pragma(`busy_timeout = ${Math.round(Duration.toMillis(options.busyTimeout ?? defaultBusyTimeout))}`)
          db.pragma("foreign_keys = ON")
          if (!readonly) db.pragma(`synchronous = ${options.synchronous === "normal" ? "NORMAL" : "FULL"}`)
          return db
        } catch (error) {
          db.close()
          throw error
        }
      },
      catch: (cause) => new DatabaseOpenError({ path: file, reason: errorMessage(cause) })
    }),
    (db) => Effect.sync(() => db.close())
  )

/** Turns a driver error into `DatabaseError`. */
export const toDatabaseError = (operation: string, cause: unknown): DatabaseError =>
  new DatabaseError({
    operation,
    reason: errorMessage(cause),
    code: cause instanceof BetterSqlite3.SqliteError ? cause.code : undefined
  })

/** Opens a SQLite database and builds the database service on its single connection. */
export const openSqlite = (
  options: SqliteOptions
): Effect.Effect<DatabaseService, DatabaseOpenError, Scope.Scope | Reactivity.Reactivity> =>
  Effect.gen(function*() {
    const filename = options.filename ?? defaultFilename
    if (!isMemory(filename)) {
      yield* checkExistingFile(filename)
      if (options.readonly !== true) yield* createDirectory(filename)
    }
    const connection = yield* openHandle(filename, options)
    const lock = new ConnectionLock()
    const sqlConnection = makeSqlConnection(connection)

    const client = yield* SqlClient.make({
      acquirer: Effect.as(lock.awaitFree, sqlConnection),
      transactionAcquirer: Effect.uninterruptibleMask((restore) =>
        Effect.zipRight(
          restore(lock.acquire),
          Effect.as(Effect.addFinalizer(() => Effect.sync(() => lock.release())), sqlConnection)
        )
      ),
      compiler: Statement.makeCompilerSqlite(),
      spanAttributes: [["db.system.name", "sqlite"]],
      beginTransaction: "BEGIN IMMEDIATE"
    })

    const baseTransaction = client.withTransaction
    const withTransaction = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | SqlError, R> =>
      Effect.contextWithEffect((context: Context.Context<never>) => {
        const parent = Context.getOption(context, AfterCommitQueue)
        const queue: Array<Effect.Effect<void>> = []
        return baseTransaction(Effect.provideService(effect, AfterCommitQueue, queue)).pipe(
          Effect.tap(() =>
            parent._tag === "Some"
              ? Effect.sync(() => void parent.value.push(...queue))
              : Effect.forEach(queue, (action) => action, { discard: true })
          )
        )
      })
    const sql = Object.assign(client, { withTransaction }) as SqlClient.SqlClient
    const drizzle = yield* Effect.provideService(SqliteDrizzle.make(), SqlClient.SqlClient, sql)

    const run: DatabaseService["run"] = <A, E>(operation: string, work: () => Effect.Effect<A, E>, deadline?: number) =>
      Effect.withFiberRuntime<A, E | DatabaseError>((fiber) => {
        const execute = (): Effect.Effect<A, E | DatabaseError> => {
          try {
            return work()
          } catch (cause) {
            return Effect.fail(toDatabaseError(operation, cause))
          }
        }
        if (!lock.held || Context.getOption(fiber.currentContext, SqlClient.TransactionConnection)._tag === "Some") {
          return execute()
        }
        return Effect.zipRight(waitForLock(operation, fiber, deadline), Effect.suspend(execute))
      })

    /** Waits until no other transaction has the connection, at most until the deadline. */
    const waitForLock = (operation: string, fiber: { readonly currentDefaultServices: Context.Context<never> }, deadline: number | undefined) => {
      if (deadline === undefined) return lock.awaitFree
      const now = Context.get(fiber.currentDefaultServices as Context.Context<Clock.Clock>, Clock.Clock).unsafeCurrentTimeMillis()
      return Effect.timeoutFail(lock.awaitFree, {
        duration: Duration.millis(Math.max(0, deadline - now)),
        onTimeout: () =>
          new DatabaseError({ operation, reason: "timed out waiting for another transaction to finish", code: "LOCK_TIMEOUT" })
      })
    }

    const transaction: DatabaseService["transaction"] = (effect) =>
      Effect.catchIf(
        withTransaction(effect),
        (error): error is SqlError =>
          typeof error === "object" && error !== null && (error as { _tag?: unknown })._tag === "SqlError",
        (error) => Effect.fail(toDatabaseError("transaction", error.cause))
      ) as Effect.Effect<any, any, any>

    const afterCommit: DatabaseService["afterCommit"] = (effect) =>
      Effect.flatMap(Effect.serviceOption(AfterCommitQueue), (queue) =>
        queue._tag === "Some" ? Effect.sync(() => void queue.value.push(effect)) : effect)

    return { dialect: "sqlite", filename, sql, drizzle, connection, run, transaction, afterCommit } satisfies DatabaseService
  })
