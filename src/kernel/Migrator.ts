import * as fs from "node:fs"
import * as path from "node:path"
import { readMigrationFiles } from "drizzle-orm/migrator"
import { Effect } from "effect"
import { Database, type DatabaseError, type DatabaseService } from "../storage/Database.js"
import { errorMessage } from "../storage/internal/sqliteConnection.js"
import { MigrationError } from "./MigrationError.js"

/** One migration file of a drizzle-kit folder, split into statements at drizzle's breakpoints. */
export interface Migration {
  /** The journal tag, which is also the file name without `.sql`, such as `0000_core`. */
  readonly tag: string
  readonly file: string
  /** The SHA-256 of the file, as drizzle computes it. */
  readonly hash: string
  readonly statements: ReadonlyArray<string>
}

/** The migrations of one extension, in journal order. */
export interface MigrationSet {
  readonly extension: string
  readonly folder: string
  readonly migrations: ReadonlyArray<Migration>
}

/** The location of an extension's migrations. */
export interface MigrationSource {
  readonly extension: string
  /** An absolute directory; the migrations path is resolved against it and must stay inside it. */
  readonly packageRoot: string
  /** A drizzle-kit migrations folder, relative to the package root. */
  readonly migrations: string
}

/** The migration status of one extension. */
export interface MigrationStatus {
  readonly extension: string
  readonly applied: ReadonlyArray<string>
  readonly pending: ReadonlyArray<string>
  /** Applied tags whose file differs from the one applied, so boot fails on them. */
  readonly changed: ReadonlyArray<string>
}

/** The ledger: one row per applied migration, keyed by extension and tag so numbering never collides. */
const ledgerTable = "makaio_migrations"

const createLedger = `CREATE TABLE IF NOT EXISTS ${ledgerTable} (
  extension TEXT NOT NULL,
  tag TEXT NOT NULL,
  hash TEXT NOT NULL,
  applied_at INTEGER NOT NULL,
  PRIMARY KEY (extension, tag)
)`

const isInside = (root: string, candidate: string): boolean => {
  const relative = path.relative(root, candidate)
  // A child may be named "..something", so only ".." itself or a leading "../" leaves the root.
  return relative === "" || (relative !== ".." && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))
}

/** Resolves the folder and checks it stays inside the package root, following symbolic links when they exist. */
const resolveFolder = (source: MigrationSource): Effect.Effect<string, MigrationError> =>
  Effect.suspend(() => {
    const fail = (reason: "path-outside-package" | "unreadable", folder: string, detail: string) =>
      Effect.fail(new MigrationError({ extension: source.extension, reason, path: folder, detail }))

    if (!path.isAbsolute(source.packageRoot)) {
      return fail("path-outside-package", source.packageRoot, "the package root must be an absolute path")
    }
    const folder = path.resolve(source.packageRoot, source.migrations)
    if (!isInside(source.packageRoot, folder)) {
      return fail("path-outside-package", folder, `"${source.migrations}" leads outside the package root ${source.packageRoot}`)
    }
    if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) {
      return fail("unreadable", folder, "the migrations folder does not exist")
    }
    if (!isInside(fs.realpathSync(source.packageRoot), fs.realpathSync(folder))) {
      return fail("path-outside-package", folder, "the migrations folder links to a place outside the package root")
    }
    return Effect.succeed(folder)
  })

/** Reads the journal's tags; drizzle's reader returns the migrations in this order but without their names. */
const readTags = (extension: string, folder: string): Effect.Effect<ReadonlyArray<string>, MigrationError> =>
  Effect.try({
    try: () => {
      const journal = JSON.parse(fs.readFileSync(path.join(folder, "meta", "_journal.json"), "utf8")) as {
        readonly entries?: ReadonlyArray<{ readonly tag?: unknown }>
      }
      const tags = (journal.entries ?? []).map((entry) => entry.tag)
      if (!tags.every((tag): tag is string => typeof tag === "string")) {
        throw new Error("the journal has an entry without a tag")
      }
      return tags
    },
    catch: (cause) =>
      new MigrationError({
        extension,
        reason: "unreadable",
        path: path.join(folder, "meta", "_journal.json"),
        detail: `cannot read the journal: ${errorMessage(cause)}`
      })
  })

/**
 * Reads an extension's migrations with drizzle's own reader. Fails before
 * anything runs when the path leaves the package root, or the folder, its
 * journal or a listed file cannot be read.
 */
export const read = (source: MigrationSource): Effect.Effect<MigrationSet, MigrationError> =>
  Effect.gen(function*() {
    const folder = yield* resolveFolder(source)
    const tags = yield* readTags(source.extension, folder)

    for (const tag of tags) {
      const file = path.join(folder, `${tag}.sql`)
      if (!fs.existsSync(file)) {
        return yield* new MigrationError({ extension: source.extension, reason: "unreadable", path: file, detail: "the journal lists this file but it does not exist" })
      }
    }
    const files = yield* Effect.try({
      try: () => readMigrationFiles({ migrationsFolder: folder }),
      catch: (cause) =>
        new MigrationError({ extension: source.extension, reason: "unreadable", path: folder, detail: errorMessage(cause) })
    })

    const migrations = files.map((file, index): Migration => ({
      tag: tags[index]!,
      file: path.join(folder, `${tags[index]}.sql`),
      hash: file.hash,
      statements: file.sql.map((statement) => statement.trim()).filter((statement) => statement.length > 0)
    }))
    return { extension: source.extension, folder, migrations }
  })

interface LedgerRow {
  readonly extension: string
  readonly tag: string
  readonly hash: string
}

const selectLedger = (connection: DatabaseService["connection"]): ReadonlyMap<string, string> => {
  const rows = connection.prepare(`SELECT extension, tag, hash FROM ${ledgerTable}`).all() as Array<LedgerRow>
  return new Map(rows.map((row) => [ledgerKey(row.extension, row.tag), row.hash]))
}

/** Reads the ledger, creating its table first when it is missing. */
const readLedger = Effect.flatMap(Database, (database) =>
  database.run("read migration ledger", () => {
    database.connection.exec(createLedger)
    return Effect.succeed(selectLedger(database.connection))
  }))

/** Reads the ledger without writing: a database without the ledger table has applied nothing. */
const readLedgerIfPresent = Effect.flatMap(Database, (database) =>
  database.run("read migration ledger", () => {
    const table = database.connection.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(ledgerTable)
    return Effect.succeed(table === undefined ? new Map<string, string>() : selectLedger(database.connection))
  }))

const ledgerKey = (extension: string, tag: string) => `${extension}\u0000${tag}`

/** Fails when a file changed after it was applied; returns the migrations still to apply. */
const pendingOf = (set: MigrationSet, ledger: ReadonlyMap<string, string>): Effect.Effect<ReadonlyArray<Migration>, MigrationError> =>
  Effect.gen(function*() {
    const pending: Array<Migration> = []
    for (const migration of set.migrations) {
      const appliedHash = ledger.get(ledgerKey(set.extension, migration.tag))
      if (appliedHash === undefined) {
        pending.push(migration)
      } else if (appliedHash !== migration.hash) {
        return yield* new MigrationError({
          extension: set.extension,
          reason: "changed-after-apply",
          path: migration.file,
          detail: "the file differs from the one that was applied"
        })
      }
    }
    return pending
  })

/** Applies one migration: its statements and its ledger row commit together or not at all. */
/**
 * Applies one migration: its statements and its ledger row commit together
 * or not at all. The ledger is read again inside the transaction, whose
 * write lock another process cannot share, so when two processes boot the
 * same new database, the second finds the migration applied and skips it.
 * Returns whether it applied the migration.
 */
const applyOne = (extension: string, migration: Migration): Effect.Effect<boolean, MigrationError | DatabaseError, Database> =>
  Effect.flatMap(Database, (database) =>
    database.transaction(database.run(`apply migration ${migration.tag}`, (): Effect.Effect<boolean, MigrationError> => {
      const applied = database.connection
        .prepare(`SELECT hash FROM ${ledgerTable} WHERE extension = ? AND tag = ?`)
        .get(extension, migration.tag) as { readonly hash: string } | undefined
      if (applied !== undefined) {
        return applied.hash === migration.hash
          ? Effect.succeed(false)
          : Effect.fail(new MigrationError({ extension, reason: "changed-after-apply", path: migration.file, detail: "the file differs from the one that was applied" }))
      }
      try {
        for (const statement of migration.statements) {
          database.connection.exec(statement)
        }
      } catch (cause) {
        return Effect.fail(new MigrationError({ extension, reason: "statement-failed", path: migration.file, detail: errorMessage(cause) }))
      }
      database.connection
        .prepare(`INSERT INTO ${ledgerTable} (extension, tag, hash, applied_at) VALUES (?, ?, ?, ?)`)
        .run(extension, migration.tag, migration.hash, Date.now())
      return Effect.succeed(true)
    })))

/** Sorts one set's migrations into applied, pending and changed after apply. */
const statusOf = (set: MigrationSet, ledger: ReadonlyMap<string, string>): MigrationStatus => {
  const applied: Array<string> = []
  const pending: Array<string> = []
  const changed: Array<string> = []
  for (const migration of set.migrations) {
    const appliedHash = ledger.get(ledgerKey(set.extension, migration.tag))
    if (appliedHash === undefined) {
      pending.push(migration.tag)
      continue
    }
    applied.push(migration.tag)
    if (appliedHash !== migration.hash) changed.push(migration.tag)
  }
  return { extension: set.extension, applied, pending, changed }
}

/**
 * Lists each extension's applied and pending migrations, and the applied
 * files that changed since. It only reads: a database without the ledger
 * table reports every migration as pending and is left without one.
 */
export const status = (sets: ReadonlyArray<MigrationSet>): Effect.Effect<ReadonlyArray<MigrationStatus>, DatabaseError, Database> =>
  Effect.map(readLedgerIfPresent, (ledger) => sets.map((set) => statusOf(set, ledger)))

/**
 * Checks every applied file of the sets against the ledger and fails with
 * `changed-after-apply` on the first that changed. Applies nothing.
 */
export const verify = (sets: ReadonlyArray<MigrationSet>): Effect.Effect<void, MigrationError | DatabaseError, Database> =>
  Effect.flatMap(readLedger, (ledger) => Effect.forEach(sets, (set) => pendingOf(set, ledger), { discard: true }))

/**
 * Applies the pending migrations of each set, set by set in the order given.
 * Every applied file is checked against the ledger before anything runs, so a
 * changed file stops boot with nothing applied. Returns the tags applied per
 * extension.
 */
export const apply = (
  sets: ReadonlyArray<MigrationSet>
): Effect.Effect<ReadonlyArray<{ readonly extension: string; readonly applied: ReadonlyArray<string> }>, MigrationError | DatabaseError, Database> =>
  Effect.gen(function*() {
    const ledger = yield* readLedger
    const plans = yield* Effect.forEach(sets, (set) => Effect.map(pendingOf(set, ledger), (pending) => ({ set, pending })))

    const results: Array<{ readonly extension: string; readonly applied: ReadonlyArray<string> }> = []
    for (const { pending, set } of plans) {
      const applied: Array<string> = []
      for (const migration of pending) {
        if (yield* applyOne(set.extension, migration)) {
          applied.push(migration.tag)
          yield* Effect.logDebug("Migration applied").pipe(Effect.annotateLogs({ extension: set.extension, migration: migration.tag }))
        }
      }
      results.push({ extension: set.extension, applied })
    }
    return results
  })
