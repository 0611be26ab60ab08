import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqlClient from "@effect/sql/SqlClient"
import * as SqliteDrizzle from "@effect/sql-drizzle/Sqlite"
import type { SqliteRemoteDatabase } from "drizzle-orm/sqlite-proxy"
import type BetterSqlite3 from "better-sqlite3"
import { Context, Duration, Effect, Layer, Schema } from "effect"
import { isInTransaction } from "./internal/afterCommit.js"
import { openSqlite } from "./internal/sqliteOpen.js"

/** The database could not be opened; nothing in it was changed. */
export class DatabaseOpenError extends Schema.TaggedError<DatabaseOpenError>()("DatabaseOpenError", {
  path: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Cannot open the database "${this.path}": ${this.reason}`
  }
}

/** A statement or transaction failed in the database. */
export class DatabaseError extends Schema.TaggedError<DatabaseError>()("DatabaseError", {
  operation: Schema.String,
  reason: Schema.String,
  /** The driver's error code, such as `SQLITE_BUSY` or `SQLITE_CONSTRAINT_FOREIGNKEY`, when it gave one. */
  code: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return `Database operation "${this.operation}" failed: ${this.reason}`
  }
}

/** Options of `Database.layerSqlite`. */
export interface SqliteOptions {
  /** The database file, created with its directory when missing; `":memory:"` for a private in-memory database. Default `./data/makaio.db`. */
  readonly filename?: string
  /** How long a statement waits for another process's lock before failing with `SQLITE_BUSY`. Default 5 seconds. */
  readonly busyTimeout?: Duration.DurationInput
  /**
   * SQLite's `synchronous` setting. `"full"` (the default) makes every commit
   * durable against power loss. `"normal"` is faster and, in WAL mode, still
   * never corrupts the file, but it may lose the last commits on power loss.
   */
  readonly synchronous?: "full" | "normal"
  /**
   * Opens an existing file for reading only, changing nothing in it (not even
   * its journal mode); writes then fail with `DatabaseError`. Default false.
   */
  readonly readonly?: boolean
}

/** The database service: one connection, shared by migrations, handlers and `@effect/sql` queries. */
export interface DatabaseService {
  readonly dialect: "sqlite"
  /** The file name as given, or `":memory:"`. */
  readonly filename: string
  /** An `@effect/sql` client on the same connection; its transactions begin immediately. */
  readonly sql: SqlClient.SqlClient
  /** A drizzle database on the same connection, through `@effect/sql-drizzle`. */
  readonly drizzle: SqliteRemoteDatabase
  /** The driver handle, for preparing statements once. Run them only inside `run`. */
  readonly connection: BetterSqlite3.Database

  /**
   * Runs synchronous work on the connection: at once when no transaction has
   * it or the caller's own transaction does, otherwise after that transaction
   * ends. An error the driver throws becomes `DatabaseError`. With a
   * `deadline` (epoch milliseconds, such as a bus handler's), waiting for
   * another transaction stops there and fails with `DatabaseError` code
   * `LOCK_TIMEOUT`.
   */
  readonly run: <A, E>(
    operation: string,
    work: () => Effect.Effect<A, E>,
    deadline?: number
  ) => Effect.Effect<A, E | DatabaseError>

  /**
   * Runs an effect in a transaction (`BEGIN IMMEDIATE`; a savepoint when
   * nested). Every storage request the effect makes joins it, because
   * handlers run with the caller's context. It commits when the effect
   * succeeds and rolls back when it fails or is interrupted.
   */
  readonly transaction: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | DatabaseError, R>

  /**
   * Runs an effect after the caller's transaction commits, or at once outside
   * a transaction. A rollback discards it. Storage backends emit their change
   * events this way.
   */
  readonly afterCommit: (effect: Effect.Effect<void>) => Effect.Effect<void>

  /** Waits until no transaction has the connection; the kernel waits for this before stopping extensions. */
  readonly awaitIdle: Effect.Effect<void>
}

/**
 * The database the runtime stores into. Handlers and migrations share its
 * single connection, so a transaction opened by a caller covers them all.
 */
export class Database extends Context.Tag("@makaio/runtime/Database")<Database, DatabaseService>() {
  /**
   * A Layer that opens a SQLite database with WAL (for files), a busy
   * timeout, foreign keys on, and transactions that begin immediately. It also
   * provides `SqlClient` and `SqliteDrizzle` on the same connection. Fails with
   * `DatabaseOpenError` for a file that is not a SQLite database, which it
   * never writes to. The connection closes when the Layer is released.
   */
  static readonly layerSqlite = (
    options: SqliteOptions = {}
  ): Layer.Layer<Database | SqlClient.SqlClient | SqliteDrizzle.SqliteDrizzle, DatabaseOpenError> =>
    Layer.scopedContext(
      Effect.gen(function*() {
        const database = yield* openSqlite(options)
        return Context.make(Database, database).pipe(
          Context.add(SqlClient.SqlClient, database.sql),
          Context.add(SqliteDrizzle.SqliteDrizzle, database.drizzle)
        )
      })
    ).pipe(Layer.provide(Reactivity.layer))

  /**
   * Tells whether the current fiber runs inside a `Database.transaction`. It
   * needs no database, so code such as a cache can ask it on any backend.
   */
  static readonly inTransaction: Effect.Effect<boolean> = Effect.map(Effect.context<never>(), isInTransaction)

  /** Runs an effect in a transaction of the database in the environment; see `DatabaseService.transaction`. */
  static transaction<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | DatabaseError, R | Database> {
    return Effect.flatMap(Database, (database) => database.transaction(effect))
  }
}

/** The default database file of the runtime, relative to the working directory. */
export const defaultFilename = "./data/makaio.db"

/** The default busy timeout. */
export const defaultBusyTimeout = Duration.seconds(5)
