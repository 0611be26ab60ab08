import * as path from "node:path"
import { assert, describe, expect, it } from "@effect/vitest"
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core"
import { Context, Effect, Exit, Layer, Schema, Scope, TestClock } from "effect"
import {
  Bus,
  Database,
  Extension,
  ExtensionBootError,
  Kernel,
  type MakaioSession,
  SessionStorage,
  sessions,
  Subject
} from "../../src/index.js"
import { makeSession } from "../conformance/storageConformance.js"
import {
  bootFailure,
  bootOnce,
  type CapturedLog,
  captureLogs,
  kernelLayer,
  migratingExtension,
  temporaryDirectory,
  type TestKernelOptions
} from "./fixtures.js"

/** Adds a note and returns how many notes the table contains. */
const AddNote = Subject.request("test:note.add", {
  request: Schema.Struct({ text: Schema.String }),
  response: Schema.Struct({ count: Schema.Number })
})

const notesMigration = { tag: "0000_init", statements: ["CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)"] }

/** The `notes` table of `notesMigration`, for drizzle queries. */
const notes = sqliteTable("notes", {
  id: integer("id").primaryKey(),
  text: text("text").notNull()
})

/** Boots a kernel in a scope of its own, so a test can look at it after it stops. */
const bootInScope = (options: TestKernelOptions) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const context = yield* Layer.buildWithScope(kernelLayer(options), scope)
    return { context, stop: Scope.close(scope, Exit.void) }
  })

/** An extension whose Layer records, when it stops, its name and whether the database was still open. */
const stoppingExtension = (name: string, stopped: Array<string>, finalizer?: Effect.Effect<void>) =>
  Extension.make({
    name,
    layer: Layer.scopedDiscard(Effect.gen(function*() {
      const database = yield* Database
      yield* Effect.addFinalizer(() => Effect.sync(() => void stopped.push(`${name} (database open: ${database.connection.open})`)))
      if (finalizer !== undefined) yield* Effect.addFinalizer(() => finalizer)
    }))
  })

describe("Kernel lifecycle", () => {
  it.scoped("shutdown stops extensions in reverse", () => {
    // Captured so that b's logged failure stays out of the test output.
    const logs: Array<CapturedLog> = []
    return Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const stopped: Array<string> = []
      const extensions = [
        stoppingExtension("a", stopped),
        stoppingExtension("b", stopped, Effect.die(new Error("b cannot stop"))),
        stoppingExtension("c", stopped)
      ]
      const kernel = yield* bootInScope({ filename: path.join(root, "test.db"), extensions })
      const database = Context.get(kernel.context, Database)
      expect(Context.get(kernel.context, Kernel).extensions).toEqual(["a", "b", "c"])

      yield* kernel.stop

      expect(stopped).toEqual(["c (database open: true)", "b (database open: true)", "a (database open: true)"])
      expect(database.connection.open).toBe(false)
    }).pipe(Effect.provide(captureLogs(logs)))
  })

  it.scoped("failing finalizer is logged with extension", () => {
    const logs: Array<CapturedLog> = []
    return Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const stopped: Array<string> = []
      const extensions = [
        stoppingExtension("a", stopped),
        stoppingExtension("b", stopped, Effect.die(new Error("b cannot stop"))),
        stoppingExtension("c", stopped)
      ]
      const kernel = yield* bootInScope({ filename: path.join(root, "test.db"), extensions })

      yield* kernel.stop

      const errors = logs.filter((entry) => entry.level === "ERROR")
      expect(errors).toHaveLength(1)
      expect(errors[0]?.message).toBe("Extension shutdown failed")
      expect(errors[0]?.annotations.extension).toBe("b")
      expect(errors[0]?.cause).toContain("b cannot stop")
    }).pipe(Effect.provide(captureLogs(logs)))
  })

  it.scoped("rejecting cleanup is logged", () => {
    const logs: Array<CapturedLog> = []
    return Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const stopped: Array<string> = []
      const rejecting = Extension.make({
        name: "rejecting",
        storage: {
          packageRoot: root,
          registerHandlers: () => async () => {
            throw new Error("cleanup broke")
          }
        }
      })
      const kernel = yield* bootInScope({ filename: path.join(root, "test.db"), extensions: [stoppingExtension("first", stopped), rejecting] })

      yield* kernel.stop

      const errors = logs.filter((entry) => entry.level === "ERROR")
      expect(errors.map((entry) => entry.annotations.extension)).toEqual(["rejecting"])
      expect(errors[0]?.cause).toContain("cleanup broke")
      expect(stopped).toEqual(["first (database open: true)"])
    }).pipe(Effect.provide(captureLogs(logs)))
  })

  it.scoped("handlers layer sees its tables", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const extension = migratingExtension(root, "notes", {
        files: [notesMigration],
        handlers: Bus.handler(AddNote, ({ payload }) =>
          Effect.gen(function*() {
            const { sql } = yield* Database
            yield* sql`INSERT INTO notes (text) VALUES (${payload.text})`
            const rows = yield* sql<{ readonly count: number }>`SELECT count(*) AS count FROM notes`
            return { count: rows[0]!.count }
          }).pipe(Effect.orDie))
      })

      const counts = yield* Effect.gen(function*() {
        const first = yield* Bus.request(AddNote, { text: "first" })
        const second = yield* Bus.request(AddNote, { text: "second" })
        return [first.count, second.count]
      }).pipe(Effect.provide(kernelLayer({ filename: path.join(root, "test.db"), extensions: [extension] })))

      expect(counts).toEqual([1, 2])
    }))

  it.scoped("registerHandlers uses bus and drizzle", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const contextNames: Array<string> = []
      const extension = migratingExtension(root, "callback", {
        files: [notesMigration],
        registerHandlers: (bus, db, context) => {
          contextNames.push(context.name)
          bus.on(AddNote, async ({ payload }) => {
            await db.insert(notes).values({ text: payload.text })
            const rows = await db.select().from(notes)
            return { count: rows.length }
          })
        }
      })

      const counts = yield* Effect.gen(function*() {
        const first = yield* Bus.request(AddNote, { text: "first" })
        const second = yield* Bus.request(AddNote, { text: "second" })
        return [first.count, second.count]
      }).pipe(Effect.provide(kernelLayer({ filename: path.join(root, "test.db"), extensions: [extension] })))

      expect(counts).toEqual([1, 2])
      expect(contextNames).toEqual(["callback"])
    }))

  it.scoped("registerHandlers cleanup runs at shutdown", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const cleanups: Array<string> = []
      let database: Database["Type"] | undefined
      const extension = migratingExtension(root, "callback", {
        files: [notesMigration],
        registerHandlers: async (bus) => {
          const remove = bus.on(AddNote, () => ({ count: 0 }))
          return async () => {
            cleanups.push(`cleanup (database open: ${database?.connection.open})`)
            remove()
          }
        }
      })
      const kernel = yield* bootInScope({ filename: path.join(root, "test.db"), extensions: [extension] })
      database = Context.get(kernel.context, Database)
      expect(cleanups).toEqual([])

      yield* kernel.stop

      expect(cleanups).toEqual(["cleanup (database open: true)"])
      expect(database.connection.open).toBe(false)
    }))

  it.scoped("shutdown removes extension handlers", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const withLayer = Extension.make({ name: "layered", layer: Bus.handler(AddNote, () => Effect.succeed({ count: 0 })) })
      const withCallback = Extension.make({
        name: "callback",
        storage: { packageRoot: root, registerHandlers: (bus) => void bus.on(AddNote, () => ({ count: 1 }), { priority: 1 }) }
      })
      const kernel = yield* bootInScope({ filename: path.join(root, "test.db"), extensions: [withLayer, withCallback] })
      const bus = Context.get(kernel.context, Bus)

      const before = yield* bus.describe
      yield* kernel.stop
      const after = yield* bus.describe

      const chainOf = (description: Bus.Description) =>
        description.subjects.find((subject) => subject.name === AddNote.name)?.handlers.map((handler) => handler.extension) ?? []
      expect(chainOf(before)).toEqual(["callback", "layered"])
      expect(chainOf(after)).toEqual([])
    }))

  it.scoped("failing handlers layer stops booted extensions", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "test.db")
      const stopped: Array<string> = []
      const failing = Extension.make({ name: "failing", layer: Layer.effectDiscard(Effect.fail(new Error("no handlers today"))) })

      const error = yield* bootFailure({ filename, extensions: [stoppingExtension("first", stopped), failing] })

      assert(error instanceof ExtensionBootError, `expected ExtensionBootError, got ${error._tag}`)
      expect(error.extension).toBe("failing")
      expect(error.message).toContain("no handlers today")
      expect(stopped).toEqual(["first (database open: true)"])
    }))

  it.scoped("throwing registerHandlers fails boot", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const throwing = Extension.make({
        name: "throwing",
        storage: {
          packageRoot: root,
          registerHandlers: () => {
            throw new Error("cannot register")
          }
        }
      })

      const error = yield* bootFailure({ filename: path.join(root, "test.db"), extensions: [throwing] })

      assert(error instanceof ExtensionBootError, `expected ExtensionBootError, got ${error._tag}`)
      expect(error.extension).toBe("throwing")
      expect(error.message).toContain("cannot register")
    }))

  it.scoped("boot logs summary per extension", () => {
    const logs: Array<CapturedLog> = []
    return Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const extensions = [
        migratingExtension(root, "migrating", {
          files: [notesMigration, { tag: "0001_more", statements: ["ALTER TABLE notes ADD COLUMN note TEXT"] }]
        }),
        // The test clock advances only through TestClock.adjust, so this extension's boot takes exactly three seconds.
        Extension.make({ name: "slow", layer: Layer.effectDiscard(TestClock.adjust("3 seconds")) })
      ]

      const kernel = yield* bootOnce({ filename: path.join(root, "test.db"), extensions })

      const booted = logs.filter((entry) => entry.message === "Extension booted")
      expect(booted.map((entry) => entry.level)).toEqual(["INFO", "INFO"])
      expect(booted.map((entry) => entry.annotations)).toEqual([
        { extension: "migrating", migrationsApplied: "0000_init, 0001_more", durationMillis: 0 },
        { extension: "slow", migrationsApplied: "none", durationMillis: 3_000 }
      ])
      expect(kernel.reports).toEqual([
        { extension: "migrating", migrationsApplied: ["0000_init", "0001_more"], durationMillis: 0 },
        { extension: "slow", migrationsApplied: [], durationMillis: 3_000 }
      ])
    }).pipe(Effect.provide(captureLogs(logs)))
  })

  it.scoped("memory database is built once", () =>
    Effect.gen(function*() {
      let builds = 0
      const database = Database.layerSqlite({ filename: ":memory:" }).pipe(Layer.tap(() => Effect.sync(() => builds++)))
      const layer = Kernel.layer({ database, core: true }).pipe(Layer.provideMerge(Bus.layer()))
      const session: MakaioSession = {
        id: "s-1",
        status: "open",
        title: "first",
        metadata: { source: "kernel test" },
        createdAt: new Date(Date.UTC(2026, 0, 2)),
        updatedAt: new Date(Date.UTC(2026, 0, 2)),
        version: 1n
      }

      const stored = yield* Effect.gen(function*() {
        yield* Bus.request(SessionStorage.subjects.set, { sessionId: session.id, session })
        return (yield* Bus.request(SessionStorage.subjects.get, { sessionId: session.id })).session
      }).pipe(Effect.provide(layer))

      expect(builds).toBe(1)
      expect(stored?.id).toBe("s-1")
      expect(stored?.metadata).toEqual({ source: "kernel test" })
    }))
})

describe("callback form in transactions", () => {
  const CountSessions = Subject.request("test:sessions.count", { request: Schema.Struct({}), response: Schema.Number })

  it.scopedLive("callback queries join the caller's transaction", () =>
    Effect.gen(function*() {
      const directory = yield* temporaryDirectory
      const counter = Extension.make({
        name: "counter",
        dependsOn: ["core"],
        storage: {
          packageRoot: directory,
          registerHandlers: (bus, db) => {
            bus.on(CountSessions, async () => {
              // A nested request from a Promise handler joins the caller's transaction too.
              const { session } = await bus.request(SessionStorage.subjects.get, { sessionId: "a" })
              const rows = await db.select().from(sessions)
              return rows.length + (session === null ? 0 : 100)
            })
          }
        }
      })

      const counts = yield* Effect.gen(function*() {
        const outside = yield* Bus.request(CountSessions, {})
        const inside = yield* Database.transaction(Effect.gen(function*() {
          yield* Bus.request(SessionStorage.subjects.set, { sessionId: "a", session: makeSession("a") })
          return yield* Bus.request(CountSessions, {}, { timeout: "2 seconds" })
        }))
        return { outside, inside }
      }).pipe(Effect.provide(kernelLayer({ filename: path.join(directory, "db.sqlite"), extensions: [counter], core: true })))

      expect(counts).toEqual({ outside: 0, inside: 101 })
    }))
})
