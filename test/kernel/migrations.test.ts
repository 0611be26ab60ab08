import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, expect, it } from "@effect/vitest"
import BetterSqlite3 from "better-sqlite3"
import { Effect, Fiber } from "effect"
import { Database, Extension, MigrationError, Migrator } from "../../src/index.js"
import {
  bootFailure,
  bootOnce,
  inspectDatabase,
  migratingExtension,
  migrationFile,
  readLedger,
  tableExists,
  temporaryDirectory,
  writeMigrations
} from "./fixtures.js"

const createItems = (table: string) => `CREATE TABLE ${table} (id INTEGER PRIMARY KEY, label TEXT NOT NULL)`

const countRows = (filename: string, table: string) =>
  inspectDatabase(filename, (connection) => (connection.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n)

describe("Kernel migrations", () => {
  it.scoped("shared tag applies for each extension", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "test.db")
      const extensions = [
        migratingExtension(root, "left", { files: [{ tag: "0000_init", statements: [createItems("left_items")] }] }),
        migratingExtension(root, "right", { files: [{ tag: "0000_init", statements: [createItems("right_items")] }] })
      ]

      const kernel = yield* bootOnce({ filename, extensions })

      expect(kernel.reports.map((report) => report.migrationsApplied)).toEqual([["0000_init"], ["0000_init"]])
      expect(tableExists(filename, "left_items")).toBe(true)
      expect(tableExists(filename, "right_items")).toBe(true)
      expect(readLedger(filename)).toEqual([
        { extension: "left", tag: "0000_init" },
        { extension: "right", tag: "0000_init" }
      ])
    }))

  it.scoped("failing statement rolls back migration", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "test.db")
      const extension = migratingExtension(root, "broken", {
        files: [{
          tag: "0000_init",
          statements: ["CREATE TABLE t (id INTEGER PRIMARY KEY)", "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (1)"]
        }]
      })

      const error = yield* bootFailure({ filename, extensions: [extension] })

      assert(error instanceof MigrationError, `expected MigrationError, got ${error._tag}`)
      expect(error.reason).toBe("statement-failed")
      expect(error.extension).toBe("broken")
      expect(error.path).toBe(migrationFile(root, "broken", "0000_init"))
      expect(error.detail).toContain("UNIQUE constraint failed")
      expect(error.message).toContain(migrationFile(root, "broken", "0000_init"))
      expect(tableExists(filename, "t")).toBe(false)
      expect(readLedger(filename)).toEqual([])
    }))

  it.scoped("fixed migration applies after failure", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "test.db")
      const create = "CREATE TABLE t (id INTEGER PRIMARY KEY)"
      const extension = migratingExtension(root, "broken", {
        files: [{ tag: "0000_init", statements: [create, "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (1)"] }]
      })
      yield* bootFailure({ filename, extensions: [extension] })

      writeMigrations(path.join(root, "broken", "migrations"), [
        { tag: "0000_init", statements: [create, "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)"] }
      ])
      const kernel = yield* bootOnce({ filename, extensions: [extension] })

      expect(kernel.reports[0]?.migrationsApplied).toEqual(["0000_init"])
      expect(countRows(filename, "t")).toBe(2)
      expect(readLedger(filename)).toEqual([{ extension: "broken", tag: "0000_init" }])
    }))

  it.scoped("earlier migrations survive later failure", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "test.db")
      const extensions = [
        migratingExtension(root, "good", { files: [{ tag: "0000_init", statements: [createItems("good_items")] }] }),
        migratingExtension(root, "bad", {
          dependsOn: ["good"],
          files: [
            { tag: "0000_init", statements: [createItems("bad_items")] },
            { tag: "0001_broken", statements: [createItems("bad_more"), "INSERT INTO missing_table VALUES (1)"] }
          ]
        })
      ]

      const error = yield* bootFailure({ filename, extensions })

      assert(error instanceof MigrationError, `expected MigrationError, got ${error._tag}`)
      expect(error.path).toBe(migrationFile(root, "bad", "0001_broken"))
      expect(tableExists(filename, "good_items")).toBe(true)
      expect(tableExists(filename, "bad_items")).toBe(true)
      expect(tableExists(filename, "bad_more")).toBe(false)
      expect(readLedger(filename)).toEqual([
        { extension: "good", tag: "0000_init" },
        { extension: "bad", tag: "0000_init" }
      ])
    }))

  it.scoped("several statements all apply", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "test.db")
      const extension = migratingExtension(root, "multi", {
        files: [{
          tag: "0000_init",
          statements: [
            createItems("items"),
            "CREATE INDEX items_label_idx ON items (label)",
            "INSERT INTO items (label) VALUES ('one')",
            "INSERT INTO items (label) VALUES ('two')"
          ]
        }]
      })

      yield* bootOnce({ filename, extensions: [extension] })

      expect(tableExists(filename, "items")).toBe(true)
      expect(inspectDatabase(filename, (connection) =>
        connection.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'items_label_idx'").get())).toBeDefined()
      expect(countRows(filename, "items")).toBe(2)
    }))

  it.scoped("statements without breakpoints all apply", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "test.db")
      const extension = migratingExtension(root, "hand", {
        files: [{
          tag: "0000_init",
          // One chunk, as a hand-written file without breakpoints would be.
          statements: [`${createItems("items")};\nINSERT INTO items (label) VALUES ('one');\nINSERT INTO items (label) VALUES ('two');`]
        }]
      })

      yield* bootOnce({ filename, extensions: [extension] })

      expect(countRows(filename, "items")).toBe(2)
    }))

  it.scoped("second boot applies nothing", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "test.db")
      const extensions = [
        migratingExtension(root, "one", {
          files: [
            { tag: "0000_init", statements: [createItems("one_items")] },
            { tag: "0001_seed", statements: ["INSERT INTO one_items (label) VALUES ('seed')"] }
          ]
        }),
        migratingExtension(root, "two", { files: [{ tag: "0000_init", statements: [createItems("two_items")] }] })
      ]

      const first = yield* bootOnce({ filename, extensions })
      const second = yield* bootOnce({ filename, extensions })

      expect(first.reports.map((report) => report.migrationsApplied)).toEqual([["0000_init", "0001_seed"], ["0000_init"]])
      expect(second.reports.map((report) => report.migrationsApplied)).toEqual([[], []])
      expect(countRows(filename, "one_items")).toBe(1)
      expect(readLedger(filename)).toHaveLength(3)
    }))

  it.scoped("new migration applies on later boot", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "test.db")
      const first = [{ tag: "0000_init", statements: [createItems("items")] }]
      const extension = migratingExtension(root, "growing", { files: first })
      yield* bootOnce({ filename, extensions: [extension] })

      writeMigrations(path.join(root, "growing", "migrations"), [
        ...first,
        { tag: "0001_more", statements: ["ALTER TABLE items ADD COLUMN note TEXT"] }
      ])
      const kernel = yield* bootOnce({ filename, extensions: [extension] })

      expect(kernel.reports[0]?.migrationsApplied).toEqual(["0001_more"])
      expect(readLedger(filename)?.map((entry) => entry.tag)).toEqual(["0000_init", "0001_more"])
    }))

  it.scoped("changed applied file fails boot", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "test.db")
      const extension = migratingExtension(root, "edited", { files: [{ tag: "0000_init", statements: [createItems("items")] }] })
      yield* bootOnce({ filename, extensions: [extension] })

      const file = migrationFile(root, "edited", "0000_init")
      fs.appendFileSync(file, "\n-- an edit after the migration was applied\n")
      const error = yield* bootFailure({ filename, extensions: [extension] })

      assert(error instanceof MigrationError, `expected MigrationError, got ${error._tag}`)
      expect(error.reason).toBe("changed-after-apply")
      expect(error.extension).toBe("edited")
      expect(error.path).toBe(file)
    }))

  it.scoped("changed file stops every pending migration", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "test.db")
      const base = migratingExtension(root, "base", { files: [{ tag: "0000_init", statements: [createItems("base_items")] }] })
      const edited = migratingExtension(root, "edited", {
        dependsOn: ["base"],
        files: [{ tag: "0000_init", statements: [createItems("edited_items")] }]
      })
      yield* bootOnce({ filename, extensions: [base, edited] })

      // base gets a new migration, and an applied file of edited changes.
      writeMigrations(path.join(root, "base", "migrations"), [
        { tag: "0000_init", statements: [createItems("base_items")] },
        { tag: "0001_more", statements: [createItems("base_more")] }
      ])
      fs.appendFileSync(migrationFile(root, "edited", "0000_init"), "\n-- edited\n")
      const error = yield* bootFailure({ filename, extensions: [base, edited] })

      assert(error instanceof MigrationError, `expected MigrationError, got ${error._tag}`)
      expect(error.reason).toBe("changed-after-apply")
      expect(error.extension).toBe("edited")
      expect(tableExists(filename, "base_more")).toBe(false)
      expect(readLedger(filename)).toHaveLength(2)
    }))

  it.scoped("path leaving package root fails", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "data", "test.db")
      const outside = writeMigrations(path.join(root, "shared-migrations"), [{ tag: "0000_init", statements: [createItems("items")] }])
      const first = migratingExtension(root, "first", { files: [{ tag: "0000_init", statements: [createItems("first_items")] }] })
      fs.mkdirSync(path.join(root, "escaping"))
      const escaping = Extension.make({
        name: "escaping",
        storage: { packageRoot: path.join(root, "escaping"), migrations: "../shared-migrations" }
      })

      const error = yield* bootFailure({ filename, extensions: [first, escaping] })

      assert(error instanceof MigrationError, `expected MigrationError, got ${error._tag}`)
      expect(error.reason).toBe("path-outside-package")
      expect(error.extension).toBe("escaping")
      expect(error.path).toBe(outside)
      expect(error.message).toContain("\"../shared-migrations\"")
      expect(fs.existsSync(path.dirname(filename))).toBe(false)
    }))

  it.scoped("link leaving package root fails", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "data", "test.db")
      const outside = writeMigrations(path.join(root, "elsewhere"), [{ tag: "0000_init", statements: [createItems("items")] }])
      const packageRoot = path.join(root, "linking")
      fs.mkdirSync(packageRoot)
      fs.symlinkSync(outside, path.join(packageRoot, "migrations"), "dir")
      const linking = Extension.make({ name: "linking", storage: { packageRoot, migrations: "migrations" } })

      const error = yield* bootFailure({ filename, extensions: [linking] })

      assert(error instanceof MigrationError, `expected MigrationError, got ${error._tag}`)
      expect(error.reason).toBe("path-outside-package")
      expect(error.path).toBe(path.join(packageRoot, "migrations"))
      expect(fs.existsSync(path.dirname(filename))).toBe(false)
    }))

  it.scoped("missing folder fails naming path", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "data", "test.db")
      const first = migratingExtension(root, "first", { files: [{ tag: "0000_init", statements: [createItems("first_items")] }] })
      fs.mkdirSync(path.join(root, "absent"))
      const absent = Extension.make({ name: "absent", storage: { packageRoot: path.join(root, "absent"), migrations: "drizzle" } })

      const error = yield* bootFailure({ filename, extensions: [first, absent] })

      assert(error instanceof MigrationError, `expected MigrationError, got ${error._tag}`)
      expect(error.reason).toBe("unreadable")
      expect(error.extension).toBe("absent")
      expect(error.path).toBe(path.join(root, "absent", "drizzle"))
      expect(error.message).toContain(path.join(root, "absent", "drizzle"))
      expect(fs.existsSync(path.dirname(filename))).toBe(false)
    }))

  it.scoped("journal entry without file fails", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "data", "test.db")
      const extension = migratingExtension(root, "gappy", {
        files: [
          { tag: "0000_init", statements: [createItems("items")] },
          { tag: "0001_gone", statements: ["INSERT INTO items (label) VALUES ('x')"] }
        ]
      })
      fs.rmSync(migrationFile(root, "gappy", "0001_gone"))

      const error = yield* bootFailure({ filename, extensions: [extension] })

      assert(error instanceof MigrationError, `expected MigrationError, got ${error._tag}`)
      expect(error.reason).toBe("unreadable")
      expect(error.path).toBe(migrationFile(root, "gappy", "0001_gone"))
      expect(fs.existsSync(path.dirname(filename))).toBe(false)
    }))

  it.effect("folder named with leading dots is inside", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      // "..migrations" is a child of the package root, not its parent.
      writeMigrations(path.join(root, "..migrations"), [{ tag: "0000_init", statements: [createItems("items")] }])

      const set = yield* Migrator.read({ extension: "dotted", packageRoot: root, migrations: "..migrations" })

      expect(set.folder).toBe(path.join(root, "..migrations"))
      expect(set.migrations.map((migration) => migration.tag)).toEqual(["0000_init"])
    }).pipe(Effect.scoped))
})

describe("concurrent boot", () => {
  it.scopedLive("migration applied meanwhile is skipped", () =>
    Effect.gen(function*() {
      const directory = yield* temporaryDirectory
      const filename = path.join(directory, "shared.db")
      const root = path.join(directory, "ext")
      writeMigrations(path.join(root, "migrations"), [{ tag: "0000_init", statements: ["CREATE TABLE shared_table (id TEXT PRIMARY KEY)"] }])
      const set = yield* Migrator.read({ extension: "ext", packageRoot: root, migrations: "migrations" })

      // Another process: it holds the write lock while this one reads the ledger, then applies the same migration.
      yield* bootOnce({ filename, extensions: [] })
      const other = new BetterSqlite3(filename)
      other.exec("BEGIN IMMEDIATE")
      const applying = yield* Effect.fork(Migrator.apply([set]).pipe(Effect.provide(Database.layerSqlite({ filename }))))
      yield* Effect.sleep("20 millis")
      other.exec("CREATE TABLE shared_table (id TEXT PRIMARY KEY)")
      other.prepare("INSERT INTO makaio_migrations (extension, tag, hash, applied_at) VALUES (?, ?, ?, ?)").run("ext", "0000_init", set.migrations[0]!.hash, Date.now())
      other.exec("COMMIT")
      other.close()

      const [result] = yield* Fiber.join(applying)
      expect(result?.applied).toEqual([])
      expect(readLedger(filename)?.map((entry) => entry.tag)).toEqual(["0000_init"])
    }))
})
