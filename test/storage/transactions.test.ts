import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import BetterSqlite3 from "better-sqlite3"
import { TransactionRollbackError } from "drizzle-orm/errors"
import { Deferred, type Duration, Effect, Exit, Fiber, Layer, ManagedRuntime, Ref } from "effect"
import { Bus, Database, Kernel, SessionStorage, sessions, SqliteStorageLayer } from "../../src/index.js"
import { fetch, makeSession, put } from "../conformance/storageConformance.js"

const S = SessionStorage.subjects

const temporaryDirectory = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "makaio-transactions-"))),
  (directory) => Effect.sync(() => fs.rmSync(directory, { recursive: true, force: true }))
)

const storage = (file: string, busyTimeout: Duration.DurationInput = "2 seconds") =>
  SqliteStorageLayer({ filename: file, busyTimeout }).pipe(Layer.provideMerge(Bus.layer()))

const storedIds = (file: string): Array<string> => {
  const db = new BetterSqlite3(file, { readonly: true })
  try {
    return (db.prepare("SELECT id FROM makaio_sessions ORDER BY id").all() as Array<{ id: string }>).map((row) => row.id)
  } finally {
    db.close()
  }
}

describe("SQLite transactions", () => {
  it.scopedLive("sibling nested transactions stay apart", () =>
    Effect.gen(function*() {
      const file = path.join(yield* temporaryDirectory, "db.sqlite")
      yield* Effect.gen(function*() {
        const failing = Database.transaction(Effect.gen(function*() {
          yield* put(makeSession("a1"))
          yield* Effect.sleep("20 millis")
          yield* put(makeSession("a2"))
          return yield* Effect.fail("abort a")
        }))
        const succeeding = Database.transaction(Effect.gen(function*() {
          yield* put(makeSession("b1"))
          yield* Effect.sleep("20 millis")
          yield* put(makeSession("b2"))
        }))
        yield* Database.transaction(Effect.gen(function*() {
          yield* put(makeSession("outer"))
          yield* Effect.all([Effect.exit(failing), succeeding], { concurrency: 2 })
        }))
      }).pipe(Effect.provide(storage(file)))

      expect(storedIds(file)).toEqual(["b1", "b2", "outer"])
    }))

  it.scopedLive("fiber outliving its transaction waits", () =>
    Effect.gen(function*() {
      const file = path.join(yield* temporaryDirectory, "db.sqlite")
      yield* Effect.gen(function*() {
        const late = yield* Database.transaction(Effect.gen(function*() {
          yield* put(makeSession("inside"))
          return yield* Effect.forkDaemon(Effect.zipRight(Effect.sleep("30 millis"), put(makeSession("late"))))
        }))

        const other = Database.transaction(Effect.gen(function*() {
          yield* put(makeSession("rolled-back"))
          yield* Effect.sleep("80 millis")
          return yield* Effect.fail("abort")
        }))
        yield* Effect.exit(other)
        yield* Fiber.join(late)
      }).pipe(Effect.provide(storage(file)))

      expect(storedIds(file)).toEqual(["inside", "late"])
    }))

  it.scopedLive("waiting for another process keeps fibers running", () =>
    Effect.gen(function*() {
      const file = path.join(yield* temporaryDirectory, "db.sqlite")
      yield* Effect.gen(function*() {
        yield* put(makeSession("a"))
        const other = new BetterSqlite3(file)
        yield* Effect.addFinalizer(() => Effect.sync(() => other.close()))
        other.exec("BEGIN IMMEDIATE")

        const ticks = yield* Ref.make(0)
        const ticker = yield* Effect.fork(Effect.forever(Effect.zipRight(Effect.sleep("5 millis"), Ref.update(ticks, (count) => count + 1))))
        const blocked = yield* Effect.flip(put(makeSession("a", { title: "blocked" })))
        const ticksWhileBlocked = yield* Ref.get(ticks)
        yield* Fiber.interrupt(ticker)
        other.exec("ROLLBACK")

        expect(blocked).toMatchObject({ _tag: "StorageBackendError", code: "SQLITE_BUSY" })
        expect(ticksWhileBlocked).toBeGreaterThan(0)
      }).pipe(Effect.provide(storage(file, "200 millis")))
    }))

  it.scopedLive("request timeout bounds the busy wait", () =>
    Effect.gen(function*() {
      const file = path.join(yield* temporaryDirectory, "db.sqlite")
      yield* Effect.gen(function*() {
        yield* put(makeSession("a"))
        const other = new BetterSqlite3(file)
        yield* Effect.addFinalizer(() => Effect.sync(() => other.close()))
        other.exec("BEGIN IMMEDIATE")

        const session = makeSession("a", { title: "blocked" })
        const error = yield* Effect.flip(Bus.request(S.set, { sessionId: "a", session }, { timeout: "50 millis" }))
        other.exec("ROLLBACK")

        expect(error).toMatchObject({ _tag: "StorageBackendError", code: "LOCK_TIMEOUT" })
        expect((yield* fetch("a"))?.title).toBe(makeSession("a").title)
      }).pipe(Effect.provide(storage(file, "10 seconds")))
    }))

  it.scopedLive("late fiber starts its own transaction", () =>
    Effect.gen(function*() {
      const file = path.join(yield* temporaryDirectory, "db.sqlite")
      yield* Effect.gen(function*() {
        const late = yield* Database.transaction(Effect.forkDaemon(Effect.zipRight(
          Effect.sleep("30 millis"),
          Database.transaction(Effect.zipRight(put(makeSession("late")), Effect.fail("late abort")))
        )))
        const other = yield* Effect.fork(Database.transaction(Effect.gen(function*() {
          yield* Effect.sleep("10 millis")
          yield* put(makeSession("other"))
          yield* Effect.sleep("60 millis")
        })))

        const lateExit = yield* Fiber.await(late)
        yield* Fiber.join(other)
        expect(Exit.isFailure(lateExit)).toBe(true)
        expect(JSON.stringify(lateExit)).toContain("late abort")
      }).pipe(Effect.provide(storage(file)))

      expect(storedIds(file)).toEqual(["other"])
    }))

  it.scopedLive("late write emits its change event", () =>
    Effect.gen(function*() {
      const file = path.join(yield* temporaryDirectory, "db.sqlite")
      yield* Effect.gen(function*() {
        const changes: Array<string> = []
        yield* Bus.subscribe(S.changed, ({ key }) => Effect.sync(() => void changes.push(key)))
        const late = yield* Database.transaction(Effect.gen(function*() {
          yield* put(makeSession("inside"))
          return yield* Effect.forkDaemon(Effect.gen(function*() {
            yield* Effect.sleep("20 millis")
            const stillInside = yield* Database.inTransaction
            yield* put(makeSession("late"))
            return stillInside
          }))
        }))

        expect(yield* Fiber.join(late)).toBe(false)
        expect(changes).toEqual(["inside", "late"])
      }).pipe(Effect.provide(storage(file)))
    }))

  it.scopedLive("drizzle transactions take the lock", () =>
    Effect.gen(function*() {
      const file = path.join(yield* temporaryDirectory, "db.sqlite")
      yield* Effect.gen(function*() {
        const database = yield* Database
        const writer = yield* Effect.fork(Effect.zipRight(Effect.sleep("5 millis"), put(makeSession("plain"))))
        const rolledBack = yield* Effect.promise(() =>
          database.drizzle.transaction(async (tx) => {
            await tx.insert(sessions).values({ ...makeSession("in-drizzle"), metadata: {} })
            await new Promise((resolve) => setTimeout(resolve, 30))
            tx.rollback()
          }).then(() => "committed", (error: unknown) => (error instanceof TransactionRollbackError ? "rolled back" : String(error))))
        yield* Fiber.join(writer)

        expect(rolledBack).toBe("rolled back")
      }).pipe(Effect.provide(storage(file)))

      expect(storedIds(file)).toEqual(["plain"])
    }))

  it.live("shutdown lets a running transaction finish", () =>
    Effect.gen(function*() {
      const directory = fs.mkdtempSync(path.join(os.tmpdir(), "makaio-transactions-"))
      const file = path.join(directory, "db.sqlite")
      const runtime = ManagedRuntime.make(storage(file))
      yield* Effect.promise(() => runtime.runPromise(put(makeSession("before"))))

      const running = runtime.runFork(Database.transaction(Effect.zipRight(Effect.sleep("50 millis"), put(makeSession("during")))))
      yield* Effect.sleep("10 millis")
      yield* Effect.promise(() => runtime.dispose())
      const exit = yield* Effect.promise(() => new Promise<Exit.Exit<unknown, unknown>>((resolve) => running.addObserver(resolve)))

      expect(Exit.isSuccess(exit)).toBe(true)
      expect(storedIds(file)).toEqual(["before", "during"])
      fs.rmSync(directory, { recursive: true, force: true })
    }))

  it.live("shutdown stops waiting at its limits", () =>
    Effect.gen(function*() {
      const directory = fs.mkdtempSync(path.join(os.tmpdir(), "makaio-transactions-"))
      const layer = Kernel.layer({
        database: Database.layerSqlite({ filename: path.join(directory, "db.sqlite"), busyTimeout: "50 millis" }),
        shutdownGrace: "50 millis"
      }).pipe(Layer.provideMerge(Bus.layer()))
      const runtime = ManagedRuntime.make(layer)
      const release = yield* Deferred.make<void>()
      const running = yield* Effect.promise(() => runtime.runPromise(Effect.forkDaemon(Database.transaction(Deferred.await(release)))))
      yield* Effect.sleep("20 millis")

      yield* Effect.promise(() => runtime.dispose())

      // Shutdown finished while the transaction still waits; once released, the transaction ends with a typed error.
      expect(running.unsafePoll()).toBeNull()
      yield* Deferred.succeed(release, undefined)
      const exit = yield* Fiber.await(running)
      expect(Exit.isFailure(exit)).toBe(true)
      expect(JSON.stringify(exit)).toContain("DatabaseError")
      fs.rmSync(directory, { recursive: true, force: true })
    }))

  it.live("closed database fails typed", () =>
    Effect.gen(function*() {
      const directory = fs.mkdtempSync(path.join(os.tmpdir(), "makaio-transactions-"))
      const runtime = ManagedRuntime.make(storage(path.join(directory, "db.sqlite")))
      const database = yield* Effect.promise(() => runtime.runPromise(Database))
      yield* Effect.promise(() => runtime.dispose())

      const error = yield* Effect.flip(database.transaction(Effect.void))
      expect(error).toMatchObject({ _tag: "DatabaseError", code: "CLOSED" })
      const runError = yield* Effect.flip(database.run("read", () => Effect.void))
      expect(runError).toMatchObject({ _tag: "DatabaseError", code: "CLOSED" })
      fs.rmSync(directory, { recursive: true, force: true })
    }))
})
