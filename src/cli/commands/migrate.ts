import * as fs from "node:fs"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { Console, Effect } from "effect"
import { core } from "../../kernel/core.js"
import { type BootReport, Kernel, type KernelService } from "../../kernel/Kernel.js"
import * as Migrator from "../../kernel/Migrator.js"
import { Database } from "../../storage/Database.js"
import { type Application, applicationLayer, applicationOptions, loadApplication } from "../internal/application.js"

/** Names the database in headings. */
const describeDatabase = (filename: string): string =>
  filename === ":memory:" ? "a private in-memory database" : filename

/** Tells whether nothing can have been applied yet: in memory, no file, or an empty file. */
const isFresh = (filename: string): boolean => {
  if (filename === ":memory:" || !fs.existsSync(filename)) return true
  const stat = fs.statSync(filename)
  return stat.isFile() && stat.size === 0
}

/** Describes what one extension's boot did to its migrations. */
const describeOutcome = (kernel: KernelService, report: BootReport): string => {
  if (!kernel.migrations.some((set) => set.extension === report.extension)) return "has no migrations"
  if (report.migrationsApplied.length === 0) return "up to date"
  return `applied ${report.migrationsApplied.join(", ")}`
}

/** Boots the kernel, which applies every pending migration, and lists what each extension applied. */
const applyPending = (application: Application) =>
  Effect.gen(function*() {
    const kernel = yield* Effect.provide(Kernel, applicationLayer(application))
    const width = Math.max(...kernel.extensions.map((name) => name.length))
    const lines = [`Migrations of ${describeDatabase(application.filename)}:`]
    for (const report of kernel.reports) {
      lines.push(`  ${report.extension.padEnd(width)}  ${describeOutcome(kernel, report)}`)
    }
    return lines
  })

/** Reads the migrations of the core and the config's extensions, in declaration order rather than boot order. */
const readMigrationSets = (application: Application) =>
  Effect.gen(function*() {
    const sets: Array<Migrator.MigrationSet> = []
    for (const extension of [core, ...application.config.extensions]) {
      const storage = extension.storage
      if (storage?.migrations === undefined) continue
      sets.push(yield* Migrator.read({ extension: extension.name, packageRoot: storage.packageRoot, migrations: storage.migrations }))
    }
    return sets
  })

/**
 * Lists each extension's migrations as applied, pending or changed, without
 * booting the kernel, because booting applies them. A fresh database is never
 * opened, so no file is created. An existing file is opened, and only the
 * migration ledger is read from it.
 */
const listStatus = (application: Application) =>
  Effect.gen(function*() {
    const sets = yield* readMigrationSets(application)

    const fresh = isFresh(application.filename)
    // A missing file is read as an empty database; an existing one is opened read-only, so nothing in it changes.
    const database = fresh ? ":memory:" : application.filename
    const statuses = yield* Migrator.status(sets).pipe(Effect.provide(Database.layerSqlite({ filename: database, readonly: true })))

    const width = Math.max(0, ...statuses.map((status) => status.extension.length))
    const missing = fresh && application.filename !== ":memory:" ? " (no database yet)" : ""
    const lines = [`Migrations of ${describeDatabase(application.filename)}${missing}:`]
    for (const status of statuses) {
      const name = status.extension.padEnd(width)
      for (const tag of status.applied) {
        const note = status.changed.includes(tag) ? "  (the file changed after it was applied, so boot fails)" : ""
        lines.push(`  ${name}  applied  ${tag}${note}`)
      }
      for (const tag of status.pending) lines.push(`  ${name}  pending  ${tag}`)
    }
    const pending = statuses.reduce((count, status) => count + status.pending.length, 0)
    lines.push(pending === 0 ? "Nothing is pending." : `${pending} pending; run "makaio migrate" to apply them.`)
    return lines
  })

/** `makaio migrate`: applies pending migrations, or with `--status` lists them without applying anything. */
export const migrateCommand = Command.make(
  "migrate",
  {
    ...applicationOptions,
    status: Options.boolean("status").pipe(
      Options.withDescription(
        "List each extension's applied and pending migrations instead, without applying anything, " +
          "creating the migration ledger or creating a missing database file."
      )
    )
  },
  (options) =>
    Effect.gen(function*() {
      const application = yield* loadApplication(options)
      const lines = options.status ? yield* listStatus(application) : yield* applyPending(application)
      yield* Console.log(lines.join("\n"))
    })
).pipe(Command.withDescription(
  "Apply the pending migrations of the core and the config's extensions, in boot order, and list what each applied."
))
