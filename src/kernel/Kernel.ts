import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqliteDrizzle } from "@effect/sql-drizzle/Sqlite"
import { Clock, Context, Duration, Effect, Exit, Layer, Scope } from "effect"
import { Bus } from "../bus/Bus.js"
import * as PromiseBus from "../bus/PromiseBus.js"
import { Database, type DatabaseError, type DatabaseOpenError } from "../storage/Database.js"
import { core } from "./core.js"
import { type Extension, ExtensionContext } from "./Extension.js"
import { orderExtensions } from "./internal/order.js"
import { makePromiseDrizzle } from "../storage/internal/promiseDrizzle.js"
import {
  type DependencyCycleError,
  type DuplicateExtensionError,
  ExtensionBootError,
  type MissingDependencyError
} from "./KernelError.js"
import type { MigrationError } from "./MigrationError.js"
import * as Migrator from "./Migrator.js"

/** The kernel's report on one booted extension. */
export interface BootReport {
  readonly extension: string
  /** The migration tags applied during this boot, in order. */
  readonly migrationsApplied: ReadonlyArray<string>
  /** Time spent on the extension's migrations and handlers, in milliseconds. */
  readonly durationMillis: number
}

/** The booted kernel. */
export interface KernelService {
  /** Extension names in boot order. */
  readonly extensions: ReadonlyArray<string>
  readonly reports: ReadonlyArray<BootReport>
  /** The migrations of every extension that has them, in boot order. */
  readonly migrations: ReadonlyArray<Migrator.MigrationSet>
}

/** Options of `Kernel.layer`. */
export interface KernelOptions {
  /** The application's extensions, in any order; `core` is added first unless `core` is false. */
  readonly extensions?: ReadonlyArray<Extension>
  /** The database Layer, built once and shared by migrations and handlers. Default: SQLite on `./data/makaio.db`. */
  readonly database?: Layer.Layer<Database | SqlClient.SqlClient | SqliteDrizzle, DatabaseOpenError>
  /** Whether to boot the runtime's own `core` extension (its tables and session storage). Default true. */
  readonly core?: boolean
  /** How long shutdown waits for running transactions before it stops extensions anyway. Default 10 seconds. */
  readonly shutdownGrace?: Duration.DurationInput
}

/** Every way boot can fail. Ordering errors and unreadable migrations fail before the database is opened. */
export type BootError =
  | DuplicateExtensionError
  | MissingDependencyError
  | DependencyCycleError
  | MigrationError
  | DatabaseOpenError
  | DatabaseError
  | ExtensionBootError

type DatabaseServices = Database | SqlClient.SqlClient | SqliteDrizzle

const defaultShutdownGrace = Duration.seconds(10)

/** Builds one extension's handlers and Layer in its own scope, with its context and name in logs and `describe`. */
const startExtension = (
  extension: Extension,
  scope: Scope.CloseableScope,
  services: Context.Context<DatabaseServices | Bus>
): Effect.Effect<void, ExtensionBootError> =>
  Effect.gen(function*() {
    const context = ExtensionContext.make(extension.name, extension.storage?.packageRoot)
    const environment = Context.add(services, ExtensionContext, context)
    const layers = [extension.storage?.handlers, extension.layer].filter((layer) => layer !== undefined)
    for (const layer of layers) {
      yield* Layer.buildWithScope(layer, scope).pipe(Effect.provide(environment))
    }

    const register = extension.storage?.registerHandlers
    if (register !== undefined) {
      const runtime = yield* Effect.runtime<Bus>()
      const promiseBus = PromiseBus.make(runtime, scope)
      // The callback's own error becomes the cause of ExtensionBootError, not an UnknownException that hides its message.
      const cleanup = yield* Effect.tryPromise({
        try: async () => {
          const database = Context.get(services, Database)
          return register(promiseBus, makePromiseDrizzle(database.sql, database.transaction, runtime), context)
        },
        catch: (cause) => cause
      })
      if (typeof cleanup === "function") {
        yield* Scope.addFinalizer(scope, Effect.promise(async () => cleanup()))
      }
    }
  }).pipe(
    Effect.provide(services),
    Effect.locally(Bus.currentExtension, extension.name),
    Effect.annotateLogs({ extension: extension.name }),
    Effect.mapError((cause) => new ExtensionBootError({ extension: extension.name, cause }))
  )

/** Closes one extension's scope at shutdown; a failing finalizer is logged and the shutdown goes on. */
const stopExtension = (extension: Extension, scope: Scope.CloseableScope) => (exit: Exit.Exit<unknown, unknown>) =>
  Scope.close(scope, exit).pipe(
    Effect.sandbox,
    Effect.catchAll((cause) =>
      Effect.logError("Extension shutdown failed", cause).pipe(Effect.annotateLogs({ extension: extension.name }))),
    Effect.zipRight(Effect.logDebug("Extension stopped").pipe(Effect.annotateLogs({ extension: extension.name })))
  )

/** Boots the kernel in the current scope; see `Kernel.layer`. */
const boot = (options: KernelOptions) =>
  Effect.gen(function*() {
    const declared = options.core === false ? options.extensions ?? [] : [core, ...(options.extensions ?? [])]
    const ordered = yield* orderExtensions(declared)
    const migrationSets = yield* Effect.forEach(
      ordered.filter((extension) => extension.storage?.migrations !== undefined),
      (extension) =>
        Migrator.read({
          extension: extension.name,
          packageRoot: extension.storage!.packageRoot,
          migrations: extension.storage!.migrations!
        })
    )

    const kernelScope = yield* Effect.scope
    // Built first, so its finalizer runs last: the database closes after every extension stopped.
    const databaseContext = yield* Layer.buildWithScope(options.database ?? Database.layerSqlite(), kernelScope)
    const services = Context.merge(databaseContext, Context.make(Bus, yield* Bus))
    // Migrations apply one extension at a time below, so every applied file is checked first:
    // a changed file of a later extension stops boot before any migration runs.
    yield* Migrator.verify(migrationSets).pipe(Effect.provide(databaseContext))

    const reports: Array<BootReport> = []
    for (const extension of ordered) {
      const started = yield* Clock.currentTimeMillis
      const set = migrationSets.filter((candidate) => candidate.extension === extension.name)
      const [result] = yield* Migrator.apply(set).pipe(Effect.provide(databaseContext))

      const scope = yield* Scope.make()
      yield* Scope.addFinalizerExit(kernelScope, stopExtension(extension, scope))
      yield* startExtension(extension, scope, services)

      const report = {
        extension: extension.name,
        migrationsApplied: result?.applied ?? [],
        durationMillis: (yield* Clock.currentTimeMillis) - started
      }
      reports.push(report)
      yield* Effect.logInfo("Extension booted").pipe(
        Effect.annotateLogs({ ...report, migrationsApplied: report.migrationsApplied.join(", ") || "none" })
      )
    }

    // Added last, so it runs first at shutdown: transactions still running finish before any extension stops.
    const database = Context.get(databaseContext, Database)
    const grace = options.shutdownGrace ?? defaultShutdownGrace
    yield* Scope.addFinalizer(kernelScope, Effect.ignore(Effect.timeout(Effect.interruptible(database.awaitIdle), grace)))

    const kernel: KernelService = { extensions: ordered.map((extension) => extension.name), reports, migrations: migrationSets }
    return Context.add(databaseContext, Kernel, kernel)
  })

/**
 * The kernel: boots extensions in dependency order on one database and stops
 * them in reverse order.
 */
export class Kernel extends Context.Tag("@makaio/runtime/Kernel")<Kernel, KernelService>() {
  /**
   * A Layer that boots the kernel:
   * 1. orders the extensions (core first, then dependencies before dependents,
   *    declaration order otherwise), failing on duplicates, missing
   *    dependencies and cycles before anything runs;
   * 2. reads every extension's migrations, failing on a path outside its
   *    package root or an unreadable folder before the database opens;
   * 3. opens the database once, fails when a migration file changed after it
   *    was applied, then for each extension in order applies its pending
   *    migrations and builds its handlers in a scope of its own.
   *
   * On release, extensions stop in reverse order; a failing finalizer is
   * logged with the extension's name and the others still run. The database
   * closes last. It provides the database services to the application too.
   */
  static readonly layer = (options: KernelOptions = {}): Layer.Layer<Kernel | DatabaseServices, BootError, Bus> =>
    Layer.scopedContext(boot(options))
}
