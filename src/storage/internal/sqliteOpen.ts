import * as fs from "node:fs"
import * as path from "node:path"
import type * as Reactivity from "@effect/experimental/Reactivity"
import * as SqlClient from "@effect/sql/SqlClient"
import * as SqliteDrizzle from "@effect/sql-drizzle/Sqlite"
import * as Statement from "@effect/sql/Statement"
import BetterSqlite3 from "better-sqlite3"
import type { SqlError } from "@effect/sql/SqlError"
import { Context, Duration, Effect, type Scope } from "effect"
import {
  DatabaseError,
  DatabaseOpenError,
  type DatabaseService,
  defaultBusyTimeout,
  defaultFilename,
  type SqliteOptions
} from "../Database.js"
import { ActiveTransaction, type TransactionLevel } from "./afterCommit.js"
import { ConnectionLock } from "./lock.js"
import { nowFrom, retryWhileBusy } from "./busy.js"
import { makePromiseDrizzle } from "./promiseDrizzle.js"
import { errorMessage, makeSqlConnections } from "./sqliteConnection.js"

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

/**
 * Opens the handle and applies the runtime's settings; reads the schema
 * first, so a damaged file fails here. While opening, SQLite's own busy
 * timeout lets it wait for another process, because switching to WAL needs a
 * lock. Afterwards it is 0, because `retryWhileBusy` waits without blocking
 * the thread.
 */
const openHandle = (file: string, options: SqliteOptions): Effect.Effect<BetterSqlite3.Database, DatabaseOpenError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.try({
      try: () => {
        const readonly = options.readonly === true && !isMemory(file)
        const db = new BetterSqlite3(file, { readonly, fileMustExist: readonly })
        try {
          db.pragma(`busy_timeout = ${busyTimeoutMillis(options)}`)
          db.pragma("schema_version")
          if (!isMemory(file) && !readonly) db.pragma("journal_mode = WAL")
          db.pragma("foreign_keys = ON")
          if (!readonly) db.pragma(`synchronous = ${options.synchronous === "normal" ? "NORMAL" : "FULL"}`)
          db.pragma("busy_timeout = 0")
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

const busyTimeoutMillis = (options: SqliteOptions): number =>
  Math.round(Duration.toMillis(options.busyTimeout ?? defaultBusyTimeout))

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
    const busyTimeout = busyTimeoutMillis(options)
    const connections = makeSqlConnections(connection, lock, busyTimeout)

    // Runs before the handle closes: waits (up to the busy timeout) for a running transaction to end, then refuses new work.
    yield* Effect.addFinalizer(() =>
      // Finalizers run uninterruptibly; the wait must be interruptible for the timeout to end it.
      Effect.timeout(Effect.interruptible(lock.acquire), Duration.millis(busyTimeout)).pipe(
        Effect.ignore,
        Effect.zipRight(Effect.sync(() => {
          lock.closed = true
        }))
      ))

    const client = yield* SqlClient.make({
      acquirer: Effect.succeed(connections.shared),
      transactionAcquirer: Effect.uninterruptibleMask((restore) =>
        Effect.zipRight(
          restore(lock.acquire),
          Effect.suspend(() => {
            const handle = connections.forTransaction()
            lock.owner = handle
            return Effect.as(Effect.addFinalizer(() => Effect.sync(() => lock.release())), handle)
          })
        )
      ),
      compiler: Statement.makeCompilerSqlite(),
      spanAttributes: [["db.system.name", "sqlite"]],
      beginTransaction: "BEGIN IMMEDIATE"
    })

    const baseTransaction = client.withTransaction

    /** Whether a transaction level still holds the connection: it is open and its outermost transaction owns the lock. */
    const isLive = (level: TransactionLevel): boolean => level.open && level.handle !== undefined && lock.owner === level.handle

    /**
     * Wraps @effect/sql's transactions. Nested ones of one level run one after
     * another. `afterCommit` work runs after the outermost commit and is
     * dropped on rollback. A fiber whose transaction already ended starts a new
     * outermost one instead of reusing the ended one's savepoints.
     */
    const withTransaction = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | SqlError, R> =>
      Effect.contextWithEffect((context: Context.Context<never>) => {
        const found = Context.getOption(context, ActiveTransaction)
        const parent = found._tag === "Some" && isLive(found.value) ? found.value : undefined
        const level: TransactionLevel = {
          queue: [],
          children: Effect.unsafeMakeSemaphore(1),
          parent,
          handle: parent?.handle,
          open: true
        }
        const body = Effect.zipRight(
          Effect.flatMap(Effect.serviceOption(SqlClient.TransactionConnection), (connection) =>
            Effect.sync(() => {
              if (connection._tag === "Some") level.handle = connection.value[0]
            })),
          effect
        ).pipe(Effect.provideService(ActiveTransaction, level))
        const afterSuccess = Effect.suspend(() =>
          parent !== undefined && isLive(parent)
            ? Effect.sync(() => void parent.queue.push(...level.queue))
            : Effect.forEach(level.queue, (action) => action, { discard: true }))
        const transaction = Effect.tap(baseTransaction(body), () => afterSuccess).pipe(
          Effect.ensuring(Effect.sync(() => {
            level.open = false
          }))
        )
        if (parent !== undefined) {
          // NOTE: this orders nested transactions only. A sibling fiber writing through the parent at the same time
          // shares the one connection, so its writes land in the open savepoint and roll back with it.
          return parent.children.withPermits(1)(transaction)
        }
        // An ended transaction's services would make @effect/sql open a savepoint on a connection it no longer holds.
        return found._tag === "Some"
          ? Effect.mapInputContext(transaction, (current: Context.Context<R>) =>
            Context.omit(SqlClient.TransactionConnection, ActiveTransaction)(current) as Context.Context<R>)
          : transaction
      })
    const sql = Object.assign(client, { withTransaction }) as SqlClient.SqlClient
    const drizzle = yield* Effect.provideService(SqliteDrizzle.make(), SqlClient.SqlClient, sql)

    /** Tells whether a fiber with this context may use the connection now. */
    const mayRun = (context: Context.Context<never>): boolean => {
      if (!lock.held) return true
      const transaction = Context.getOption(context, SqlClient.TransactionConnection)
      return transaction._tag === "Some" && transaction.value[0] === lock.owner
    }

    const run: DatabaseService["run"] = <A, E>(operation: string, work: () => Effect.Effect<A, E>, deadline?: number) =>
      Effect.withFiberRuntime<A, E | DatabaseError>((fiber) => {
        if (lock.closed) {
          return Effect.fail(new DatabaseError({ operation, reason: "the database is closed", code: "CLOSED" }))
        }
        if (!mayRun(fiber.currentContext)) {
          return Effect.zipRight(waitForLock(operation, fiber, deadline), Effect.suspend(() => run(operation, work, deadline)))
        }
        return retryWhileBusy<A, E | DatabaseError>(
          work,
          { busyTimeoutMillis: busyTimeout, deadline },
          (cause) => toDatabaseError(operation, cause),
          (outcome, waited) =>
            new DatabaseError({
              operation,
              reason: outcome === "deadline"
                ? `timed out waiting for another connection's lock (waited ${waited} ms)`
                : `the database is locked by another connection (waited ${waited} ms)`,
              code: outcome === "deadline" ? "LOCK_TIMEOUT" : "SQLITE_BUSY"
            })
        )
      })

    /** Waits until no other transaction has the connection, at most until the deadline. */
    const waitForLock = (operation: string, fiber: { readonly currentDefaultServices: Context.Context<never> }, deadline: number | undefined) => {
      if (deadline === undefined) return lock.awaitFree
      return Effect.timeoutFail(lock.awaitFree, {
        duration: Duration.millis(Math.max(0, deadline - nowFrom(fiber.currentDefaultServices))),
        onTimeout: () =>
          new DatabaseError({ operation, reason: "timed out waiting for another transaction to finish", code: "LOCK_TIMEOUT" })
      })
    }

    const transaction: DatabaseService["transaction"] = (effect) =>
      Effect.suspend(() =>
        lock.closed
          ? Effect.fail(new DatabaseError({ operation: "transaction", reason: "the database is closed", code: "CLOSED" }))
          : Effect.catchIf(
            withTransaction(effect),
            (error): error is SqlError =>
              typeof error === "object" && error !== null && (error as { _tag?: unknown })._tag === "SqlError",
            (error) => Effect.fail(toDatabaseError("transaction", error.cause))
          ).pipe(
            // @effect/sql turns a failed COMMIT or ROLLBACK into a defect; for the caller it is a database error.
            Effect.catchAllDefect((defect) =>
              typeof defect === "object" && defect !== null && (defect as { _tag?: unknown })._tag === "SqlError"
                ? Effect.fail(toDatabaseError("transaction", (defect as SqlError).cause))
                : Effect.die(defect))
          )
      ) as Effect.Effect<any, any, any>

    const afterCommit: DatabaseService["afterCommit"] = (effect) =>
      Effect.flatMap(Effect.serviceOption(ActiveTransaction), (level) =>
        level._tag === "Some" && isLive(level.value) ? Effect.sync(() => void level.value.queue.push(effect)) : effect)

    // drizzle's own transaction would BEGIN outside the lock; it runs through `transaction`, with queries that follow the callback.
    const promiseDrizzle = makePromiseDrizzle(sql, transaction, yield* Effect.runtime<never>())
    Object.assign(drizzle, { transaction: promiseDrizzle.transaction })

    return {
      dialect: "sqlite",
      filename,
      sql,
      drizzle,
      connection,
      run,
      transaction,
      afterCommit,
      awaitIdle: lock.awaitFree
    } satisfies DatabaseService
  })
