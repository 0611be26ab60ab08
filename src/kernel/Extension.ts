import * as path from "node:path"
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqliteDrizzle } from "@effect/sql-drizzle/Sqlite"
import { Context, Effect, type Layer } from "effect"
import type { Bus } from "../bus/Bus.js"
import type { PromiseBus } from "../bus/PromiseBus.js"
import type { Database } from "../storage/Database.js"

/** What an extension's handlers learn about the extension they belong to. */
export interface ExtensionContextService {
  readonly name: string
  /** The absolute directory the extension's storage paths are relative to, when it has storage. */
  readonly packageRoot: string | undefined
  /** Logs through Effect's logger, annotated with the extension's name. */
  readonly log: {
    readonly debug: (message: string, fields?: Record<string, unknown>) => Effect.Effect<void>
    readonly info: (message: string, fields?: Record<string, unknown>) => Effect.Effect<void>
    readonly warn: (message: string, fields?: Record<string, unknown>) => Effect.Effect<void>
    readonly error: (message: string, fields?: Record<string, unknown>) => Effect.Effect<void>
  }
}

/** The extension whose handlers are being built; the kernel provides it to each extension's Layers. */
export class ExtensionContext extends Context.Tag("@makaio/runtime/ExtensionContext")<ExtensionContext, ExtensionContextService>() {
  /** Builds the context of an extension. */
  static readonly make = (name: string, packageRoot: string | undefined): ExtensionContextService => {
    const at = (log: (message: string) => Effect.Effect<void>) => (message: string, fields: Record<string, unknown> = {}) =>
      log(message).pipe(Effect.annotateLogs({ ...fields, extension: name }))
    return {
      name,
      packageRoot,
      log: { debug: at(Effect.logDebug), info: at(Effect.logInfo), warn: at(Effect.logWarning), error: at(Effect.logError) }
    }
  }
}

/** The services an extension's Layers may use. */
export type ExtensionServices = Bus | Database | SqlClient.SqlClient | SqliteDrizzle | ExtensionContext

/** The drizzle database handed to `registerHandlers`; its queries can be awaited as Promises. */
export type DrizzleDatabase = SqliteDrizzle["Type"]

/**
 * Registers handlers without Effect: it receives the Promise facade of the
 * bus, the drizzle database and the extension's context, and may return a
 * cleanup function (or a Promise of one) that runs at shutdown.
 */
export type RegisterHandlers = (
  bus: PromiseBus,
  db: DrizzleDatabase,
  context: ExtensionContextService
) => void | (() => void | Promise<void>) | Promise<void | (() => void | Promise<void>)>

/** An extension's storage: its migrations and the handlers that serve its namespaces. */
export interface ExtensionStorage {
  /** An absolute directory; `migrations` is resolved against it and must stay inside it. */
  readonly packageRoot: string
  /** A drizzle-kit migrations folder, relative to `packageRoot`. */
  readonly migrations?: string
  /** A Layer registering the extension's handlers, built after its migrations ran. */
  readonly handlers?: Layer.Layer<never, unknown, ExtensionServices>
  /** The same for code without Effect: see `RegisterHandlers`. */
  readonly registerHandlers?: RegisterHandlers
}

/** An extension: a named unit that the kernel boots after the extensions it depends on. */
export interface Extension {
  readonly name: string
  readonly dependsOn: ReadonlyArray<string>
  readonly storage: ExtensionStorage | undefined
  /** Any other Layer the extension runs (subscribers, background work), built after its storage handlers. */
  readonly layer: Layer.Layer<never, unknown, ExtensionServices> | undefined
}

/** The definition `make` accepts; the Promise-based original's `MakaioExtension` has this shape. */
export interface ExtensionDefinition {
  readonly name: string
  readonly dependsOn?: ReadonlyArray<string>
  readonly storage?: ExtensionStorage
  readonly layer?: Layer.Layer<never, unknown, ExtensionServices>
}

/** The original API's name for an extension definition. */
export type MakaioExtension = ExtensionDefinition

const namePattern = /^[a-z0-9][a-z0-9._-]*$/i

/**
 * Defines an extension. Throws a `TypeError` for an invalid name, a relative
 * package root, or storage that has both `handlers` and `registerHandlers`,
 * because an extension is a module-level definition and these are programming
 * errors. Dependencies are checked when the kernel boots.
 */
export const make = (definition: ExtensionDefinition): Extension => {
  if (!namePattern.test(definition.name)) {
    throw new TypeError(`Invalid extension name ${JSON.stringify(definition.name)}: use letters, digits, ".", "_" and "-".`)
  }
  const storage = definition.storage
  if (storage !== undefined) {
    if (typeof storage.packageRoot !== "string" || !path.isAbsolute(storage.packageRoot)) {
      throw new TypeError(
        `Extension "${definition.name}": packageRoot must be an absolute directory, got ${JSON.stringify(storage.packageRoot)} ` +
          `(use import.meta.dirname or fileURLToPath(new URL(".", import.meta.url))).`
      )
    }
    if (storage.handlers !== undefined && storage.registerHandlers !== undefined) {
      throw new TypeError(`Extension "${definition.name}": give either storage.handlers or storage.registerHandlers, not both.`)
    }
  }
  return {
    name: definition.name,
    dependsOn: definition.dependsOn ?? [],
    storage,
    layer: definition.layer
  }
}
