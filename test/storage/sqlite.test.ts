import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import BetterSqlite3 from "better-sqlite3"
import { Cause, Deferred, Effect, Exit, Fiber, Layer, Option, type Scope } from "effect"
import { Bus, Database, EntityDecodeError, type MakaioSession, SessionStorage, SqliteStorageLayer } from "../../src/index.js"
import { fetch, makeSession, put } from "../conformance/storageConformance.js"

const S = SessionStorage.subjects

/** A temporary directory for one test, removed when the test's scope closes. */
const temporaryDirectory = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "makaio-sqlite-"))),
  (directory) => Effect.sync(() => fs.rmSync(directory, { recursive: true, force: true }))
)

/** Runs `body` against SQLite storage on `file`, with a bus configured by `busOptions`. */
const withSqlite = <A, E, R extends Bus | Database | Scope.Scope>(file: string, body: Effect.Effect<A, E, R>, busOptions?: Bus.Options) =>
  Effect.provide(body, SqliteStorageLayer({ filename: file, busyTimeout: "100 millis" }).pipe(Layer.provideMerge(Bus.layer(busOptions))))

const session = (id: string, overrides: Partial<MakaioSession> = {}) => makeSession(id, overrides)

describe("SQLite storage", () => {
  it.scoped("bigint beyond 64 bits without bus validation", () =>
    Effect.gen(function*() {
      const file = path.join(yield* temporaryDirectory, "db.sqlite")
      yield* withSqlite(file, Effect.gen(function*() {
        yield* put(session("s", { version: 2n ** 53n + 1n }))

        const error = yield* Effect.flip(put(session("s", { version: 2n ** 64n })))
        expect(error._tag).toBe("InvalidPayloadError")
        expect((yield* fetch("s"))!.version).toBe(2n ** 53n + 1n)
        expect(yield* Effect.either(put(session("other", { version: 2n ** 64n })))).toMatchObject({ _tag: "Left" })
        expect(yield* fetch("other")).toBeNull()
      }), { validation: "none" })
    }))

  it.scopedLive("failed transaction leaves nothing", () =>
    Effect.gen(function*() {
      const file = path.join(yield* temporaryDirectory, "db.sqlite")
      yield* withSqlite(file, Effect.gen(function*() {
        const observer = new BetterSqlite3(file, { readonly: true })
        yield* Effect.addFinalizer(() => Effect.sync(() => observer.close()))
        const seenByObserver: Array<unknown> = []
        const look = () => observer.prepare("SELECT id FROM makaio_sessions WHERE id IN ('a', 'b')").all()

        const outcome = yield* Effect.exit(Database.transaction(Effect.gen(function*() {
          yield* put(session("a"))
          seenByObserver.push(...look())
          yield* Effect.sleep("1 millis")
          yield* put(session("b"))
          seenByObserver.push(...look())
          return yield* Effect.fail("abort" as const)
        })))

        expect(Exit.isFailure(outcome)).toBe(true)
        expect(yield* fetch("a")).toBeNull()
        expect(yield* fetch("b")).toBeNull()
        expect(seenByObserver).toEqual([])
        expect(look()).toEqual([])
      }))
    }))

  it.scoped("transaction commits every request", () =>
    Effect.gen(function*() {
      const file = path.join(yield* temporaryDirectory, "db.sqlite")
      yield* withSqlite(file, Effect.gen(function*() {
        yield* Database.transaction(Effect.all([put(session("a")), put(session("b")), Bus.request(S.delete, { sessionId: "a" })]))
        expect(yield* fetch("a")).toBeNull()
        expect((yield* fetch("b"))?.id).toBe("b")
      }))
    }))

  it.scoped("change events wait for commit", () =>
    Effect.gen(function*() {
      const file = path.join(yield* temporaryDirectory, "db.sqlite")
      yield* withSqlite(file, Effect.gen(function*() {
        const changes: Array<string> = []
        yield* Bus.subscribe(S.changed, ({ key, operation }) => Effect.sync(() => void changes.push(`${operation}:${key}`)))

        yield* Database.transaction(Effect.gen(function*() {
          yield* put(session("a"))
          yield* Database.transaction(put(session("b")))
          expect(changes).toEqual([])
        }))
        expect(changes).toEqual(["set:a", "set:b"])

        yield* Effect.exit(Database.transaction(Effect.zipRight(put(session("c")), Effect.fail("abort"))))
        yield* Database.transaction(Effect.gen(function*() {
          yield* put(session("d"))
          yield* Effect.exit(Database.transaction(Effect.zipRight(put(session("e")), Effect.fail("inner abort"))))
        }))
        expect(changes).toEqual(["set:a", "set:b", "set:d"])
        expect(yield* fetch("e")).toBeNull()
      }))
    }))

  it.scoped("corrupted row fails alone", () =>
    Effect.gen(function*() {
      const file = path.join(yield* temporaryDirectory, "db.sqlite")
      yield* withSqlite(file, Effect.gen(function*() {
        yield* put(session("good"))
        yield* put(session("bad"))
        const database = yield* Database
        database.connection.prepare("UPDATE makaio_sessions SET metadata = '{broken' WHERE id = 'bad'").run()

        const error = yield* Effect.flip(fetch("bad"))
        expect(error).toBeInstanceOf(EntityDecodeError)
        expect(error).toMatchObject({ key: "bad", namespace: "session" })
        expect((error as EntityDecodeError).issues.map((issue) => issue.path)).toEqual([["metadata"]])
        expect(error.message).toContain("\"bad\"")

        expect((yield* fetch("good"))?.id).toBe("good")
        const page = yield* Bus.request(S.list, { where: { id: { eq: "good" } } })
        expect(page.sessions.map((entry) => entry.id)).toEqual(["good"])
      }))
    }))

  it.scoped("row breaking the schema fails", () =>
    Effect.gen(function*() {
      const file = path.join(yield* temporaryDirectory, "db.sqlite")
      yield* withSqlite(file, Effect.gen(function*() {
        yield* put(session("bad"))
        const database = yield* Database
        database.connection.prepare("UPDATE makaio_sessions SET metadata = '[1, 2]' WHERE id = 'bad'").run()

        const error = yield* Effect.flip(fetch("bad"))
        expect(error._tag).toBe("EntityDecodeError")
        expect((error as EntityDecodeError).issues[0]!.path).toEqual(["metadata"])
      }))
    }))

  it.scoped("non-SQLite file is never overwritten", () =>
    Effect.gen(function*() {
      const file = path.join(yield* temporaryDirectory, "notes.txt")
      fs.writeFileSync(file, "these are my notes, not a database\n")

      const exit = yield* Effect.exit(withSqlite(file, Effect.void))

      expect(Exit.isFailure(exit)).toBe(true)
      const error = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
      expect(Option.isSome(error)).toBe(true)
      expect(Option.getOrUndefined(error)).toMatchObject({ _tag: "DatabaseOpenError", path: file })
      expect(fs.readFileSync(file, "utf8")).toBe("these are my notes, not a database\n")
      expect(fs.readdirSync(path.dirname(file))).toEqual(["notes.txt"])
    }))

  it.scoped("damaged database fails to open", () =>
    Effect.gen(function*() {
      const file = path.join(yield* temporaryDirectory, "db.sqlite")
      yield* withSqlite(file, put(session("a")))
      const original = fs.readFileSync(file)
      const damaged = Buffer.from(original)
      damaged.fill(0xff, 16, 100)
      fs.writeFileSync(file, damaged)

      const exit = yield* Effect.exit(withSqlite(file, fetch("a")))

      expect(Exit.isFailure(exit)).toBe(true)
      expect(JSON.stringify(exit)).toContain(file)
      expect(fs.readFileSync(file).equals(damaged)).toBe(true)
    }))

  it.scoped("directory is created", () =>
    Effect.gen(function*() {
      const file = path.join(yield* temporaryDirectory, "nested", "deeper", "db.sqlite")
      yield* withSqlite(file, put(session("a")))
      expect(fs.existsSync(file)).toBe(true)
      yield* withSqlite(file, Effect.map(fetch("a"), (found) => expect(found?.id).toBe("a")))
    }))

  it.scoped("data survives a reopen", () =>
    Effect.gen(function*() {
      const file = path.join(yield* temporaryDirectory, "db.sqlite")
      yield* withSqlite(file, put(session("kept", { title: "still here" })))
      const again = yield* withSqlite(file, fetch("kept"))
      expect(again?.title).toBe("still here")
    }))

  it.scoped("file settings are applied", () =>
    Effect.gen(function*() {
      const file = path.join(yield* temporaryDirectory, "db.sqlite")
      yield* withSqlite(file, Effect.gen(function*() {
        const { connection } = yield* Database
        expect(connection.pragma("journal_mode", { simple: true })).toBe("wal")
        expect(connection.pragma("foreign_keys", { simple: true })).toBe(1)
        // The runtime waits for other connections itself, without blocking the thread, so the driver's own wait is off.
        expect(connection.pragma("busy_timeout", { simple: true })).toBe(0)
      }))
    }))

  it.scoped("read-only open changes nothing", () =>
    Effect.gen(function*() {
      const file = path.join(yield* temporaryDirectory, "plain.sqlite")
      const plain = new BetterSqlite3(file)
      plain.exec("CREATE TABLE kept (id TEXT)")
      plain.close()
      const before = fs.readFileSync(file)

      const outcome = yield* Effect.gen(function*() {
        const { connection, run } = yield* Database
        const mode = connection.pragma("journal_mode", { simple: true })
        const write = yield* Effect.flip(run("write", () => {
          connection.exec("CREATE TABLE other (id TEXT)")
          return Effect.void
        }))
        return { mode, write }
      }).pipe(Effect.provide(Database.layerSqlite({ filename: file, readonly: true })))

      expect(outcome.mode).toBe("delete")
      expect(outcome.write).toMatchObject({ _tag: "DatabaseError", operation: "write" })
      expect(fs.readFileSync(file).equals(before)).toBe(true)
    }))

  it.scopedLive("another process's lock gives a typed error", () =>
    Effect.gen(function*() {
      const file = path.join(yield* temporaryDirectory, "db.sqlite")
      yield* withSqlite(file, Effect.gen(function*() {
        yield* put(session("a", { title: "before" }))
        const other = new BetterSqlite3(file)
        yield* Effect.addFinalizer(() => Effect.sync(() => other.close()))
        other.exec("BEGIN IMMEDIATE")

        const error = yield* Effect.flip(put(session("a", { title: "blocked" })))
        other.exec("ROLLBACK")

        expect(error).toMatchObject({ _tag: "StorageBackendError", namespace: "session", operation: "set", code: "SQLITE_BUSY" })
        expect(error.message).toContain("locked")
        expect((yield* fetch("a"))?.title).toBe("before")
      }))
    }))

  it.scoped("requests wait for another fiber's transaction", () =>
    Effect.gen(function*() {
      const file = path.join(yield* temporaryDirectory, "db.sqlite")
      yield* withSqlite(file, Effect.gen(function*() {
        const written = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const writer = yield* Effect.fork(Database.transaction(Effect.gen(function*() {
          yield* put(session("a", { title: "from transaction" }))
          yield* Deferred.succeed(written, undefined)
          yield* Deferred.await(release)
        })))
        yield* Deferred.await(written)

        const reader = yield* Effect.fork(fetch("a"))
        yield* Effect.yieldNow()
        expect(reader.unsafePoll()).toBeNull()

        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(writer)
        expect((yield* Fiber.join(reader))?.title).toBe("from transaction")
      }))
    }))

  it.scopedLive("waiting on a transaction honours the timeout", () =>
    Effect.gen(function*() {
      const file = path.join(yield* temporaryDirectory, "db.sqlite")
      yield* withSqlite(file, Effect.gen(function*() {
        const lockTaken = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const holder = yield* Effect.fork(Database.transaction(Effect.zipRight(Deferred.succeed(lockTaken, undefined), Deferred.await(release))))
        yield* Deferred.await(lockTaken)

        const error = yield* Effect.flip(Bus.request(S.get, { sessionId: "a" }, { timeout: "20 millis" }))
        expect(error).toMatchObject({ _tag: "StorageBackendError", operation: "get" })
        expect(error.message).toContain("timed out waiting for another transaction")

        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(holder)
        expect(yield* fetch("a")).toBeNull()
      }))
    }))
})
