import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import BetterSqlite3 from "better-sqlite3"
import { Cause, Effect, Layer, Logger } from "effect"
import { Bus, Database, Extension, type ExtensionDefinition, Kernel } from "../../src/index.js"

/** drizzle-kit's separator between the statements of one migration file. */
export const breakpoint = "--> statement-breakpoint"

/** A migration file to write: its journal tag and its statements, joined with breakpoints. */
export interface MigrationFile {
  readonly tag: string
  readonly statements: ReadonlyArray<string>
}

/** A temporary directory, removed with everything in it when the scope closes. */
export const temporaryDirectory = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "makaio-kernel-"))),
  (directory) => Effect.sync(() => fs.rmSync(directory, { recursive: true, force: true }))
)

/** The contents of a migration file, as drizzle-kit writes it. */
export const migrationSql = (statements: ReadonlyArray<string>): string => statements.join(`\n${breakpoint}\n`)

/**
 * Writes a drizzle-kit migrations folder: `meta/_journal.json` listing the
 * files in order, and one `<tag>.sql` per file. Returns the folder.
 */
export const writeMigrations = (folder: string, files: ReadonlyArray<MigrationFile>): string => {
  fs.mkdirSync(path.join(folder, "meta"), { recursive: true })
  const journal = {
    version: "7",
    dialect: "sqlite",
    entries: files.map((file, index) => ({
      idx: index,
      version: "6",
      when: Date.UTC(2026, 0, 1) + index,
      tag: file.tag,
      breakpoints: true
    }))
  }
  fs.writeFileSync(path.join(folder, "meta", "_journal.json"), JSON.stringify(journal, null, 2))
  for (const file of files) {
    fs.writeFileSync(path.join(folder, `${file.tag}.sql`), migrationSql(file.statements))
  }
  return folder
}

/** What `migratingExtension` needs beyond the extension's name. */
export interface MigratingExtensionOptions extends Omit<ExtensionDefinition, "name" | "storage"> {
  readonly files: ReadonlyArray<MigrationFile>
  readonly handlers?: Extension.ExtensionStorage["handlers"]
  readonly registerHandlers?: Extension.ExtensionStorage["registerHandlers"]
}

/**
 * Defines an extension whose package root is `<root>/<name>` and whose
 * migrations, written there by this function, are in `migrations/`.
 */
export const migratingExtension = (root: string, name: string, options: MigratingExtensionOptions): Extension.Extension => {
  const packageRoot = path.join(root, name)
  writeMigrations(path.join(packageRoot, "migrations"), options.files)
  return Extension.make({
    name,
    ...(options.dependsOn === undefined ? {} : { dependsOn: options.dependsOn }),
    ...(options.layer === undefined ? {} : { layer: options.layer }),
    storage: {
      packageRoot,
      migrations: "migrations",
      ...(options.handlers === undefined ? {} : { handlers: options.handlers }),
      ...(options.registerHandlers === undefined ? {} : { registerHandlers: options.registerHandlers })
    }
  })
}

/** The path of an extension's migration file, as `migratingExtension` lays it out. */
export const migrationFile = (root: string, name: string, tag: string): string =>
  path.join(root, name, "migrations", `${tag}.sql`)

/** Options of `kernelLayer`. */
export interface TestKernelOptions {
  readonly filename: string
  readonly extensions: ReadonlyArray<Extension.Extension>
  /** Whether the runtime's `core` extension boots too. Default false. */
  readonly core?: boolean
}

/** A kernel on a SQLite database, with a new bus. */
export const kernelLayer = (options: TestKernelOptions) =>
  Kernel.layer({
    extensions: options.extensions,
    database: Database.layerSqlite({ filename: options.filename }),
    core: options.core ?? false
  }).pipe(Layer.provideMerge(Bus.layer()))

/** Boots a kernel, returns its service, and stops it again. */
export const bootOnce = (options: TestKernelOptions) => Effect.provide(Kernel, kernelLayer(options))

/** Boots a kernel and returns how boot failed; fails the test when boot succeeds. */
export const bootFailure = (options: TestKernelOptions) => Effect.flip(bootOnce(options))

/**
 * Runs `query` on its own connection to the database file, after the
 * kernel's connection is closed. Returns undefined when the file does not exist.
 */
export const inspectDatabase = <A>(filename: string, query: (connection: BetterSqlite3.Database) => A): A | undefined => {
  if (!fs.existsSync(filename)) return undefined
  const connection = new BetterSqlite3(filename, { fileMustExist: true })
  try {
    return query(connection)
  } finally {
    connection.close()
  }
}

/** Whether a table of this name exists in the database file; false when the file does not exist. */
export const tableExists = (filename: string, table: string): boolean =>
  inspectDatabase(filename, (connection) =>
    connection.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined) ?? false

/** One row of the migration ledger. */
export interface LedgerEntry {
  readonly extension: string
  readonly tag: string
}

/** The ledger's rows in the order they were inserted, or undefined when the file or the ledger table does not exist. */
export const readLedger = (filename: string): ReadonlyArray<LedgerEntry> | undefined =>
  tableExists(filename, "makaio_migrations")
    ? inspectDatabase(filename, (connection) =>
      connection.prepare("SELECT extension, tag FROM makaio_migrations ORDER BY rowid").all() as Array<LedgerEntry>)
    : undefined

/** A log entry as the test logger keeps it. */
export interface CapturedLog {
  readonly message: unknown
  readonly annotations: Record<string, unknown>
  readonly level: string
  /** The logged cause, pretty-printed; empty when the entry has none. */
  readonly cause: string
}

/** A logger that keeps every entry in `logs`, for assertions. */
export const captureLogs = (logs: Array<CapturedLog>) =>
  Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ annotations, cause, logLevel, message }) => {
      logs.push({
        message: Array.isArray(message) && message.length === 1 ? message[0] : message,
        annotations: Object.fromEntries(annotations),
        level: logLevel.label,
        cause: Cause.pretty(cause)
      })
    })
  )
