import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Database, Migrator } from "../../src/index.js"
import { bootOnce, migratingExtension, readLedger, tableExists, temporaryDirectory, writeMigrations } from "./fixtures.js"

const createItems = (table: string) => `CREATE TABLE ${table} (id INTEGER PRIMARY KEY, label TEXT NOT NULL)`

/** Reads the migration sets of extensions laid out by `migratingExtension`. */
const readSets = (root: string, names: ReadonlyArray<string>) =>
  Effect.forEach(names, (name) => Migrator.read({ extension: name, packageRoot: path.join(root, name), migrations: "migrations" }))

/** Runs `Migrator.status` on its own connection to the file. */
const statusOf = (filename: string, sets: ReadonlyArray<Migrator.MigrationSet>) =>
  Migrator.status(sets).pipe(Effect.provide(Database.layerSqlite({ filename })))

describe("Migrator status", () => {
  it.scoped("fresh database lists everything pending", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "test.db")
      migratingExtension(root, "items", {
        files: [
          { tag: "0000_init", statements: [createItems("items")] },
          { tag: "0001_more", statements: [createItems("more_items")] }
        ]
      })

      const status = yield* statusOf(filename, yield* readSets(root, ["items"]))

      expect(status).toEqual([{ extension: "items", applied: [], pending: ["0000_init", "0001_more"], changed: [] }])
      expect(fs.existsSync(filename)).toBe(true)
      expect(tableExists(filename, "makaio_migrations")).toBe(false)
      expect(tableExists(filename, "items")).toBe(false)
    }))

  it.scoped("booted database lists applied", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "test.db")
      const left = migratingExtension(root, "left", { files: [{ tag: "0000_init", statements: [createItems("left_items")] }] })
      yield* bootOnce({ filename, extensions: [left] })
      migratingExtension(root, "right", { files: [{ tag: "0000_init", statements: [createItems("right_items")] }] })

      const status = yield* statusOf(filename, yield* readSets(root, ["left", "right"]))

      expect(status).toEqual([
        { extension: "left", applied: ["0000_init"], pending: [], changed: [] },
        { extension: "right", applied: [], pending: ["0000_init"], changed: [] }
      ])
      expect(readLedger(filename)).toEqual([{ extension: "left", tag: "0000_init" }])
      expect(tableExists(filename, "right_items")).toBe(false)
    }))

  it.scoped("changed file listed as changed", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "test.db")
      const extension = migratingExtension(root, "items", { files: [{ tag: "0000_init", statements: [createItems("items")] }] })
      yield* bootOnce({ filename, extensions: [extension] })
      writeMigrations(path.join(root, "items", "migrations"), [
        { tag: "0000_init", statements: [createItems("items"), "CREATE INDEX items_label_idx ON items (label)"] },
        { tag: "0001_more", statements: [createItems("more_items")] }
      ])

      const status = yield* statusOf(filename, yield* readSets(root, ["items"]))

      expect(status).toEqual([{ extension: "items", applied: ["0000_init"], pending: ["0001_more"], changed: ["0000_init"] }])
    }))
})
