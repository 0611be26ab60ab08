import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Either, Fiber, Layer, Schema, TestClock } from "effect"
import { Bus, Database, MemoryStorage, MemoryStorageLayer, SessionStorage, SqliteStorageLayer, StorageCache, StorageNamespace } from "../../src/index.js"
import { fetch, makeSession, put } from "../conformance/storageConformance.js"

const S = SessionStorage.subjects

/** Memory storage with a cache in front of it, on a fresh bus. */
const withCache = <A, E, R>(body: Effect.Effect<A, E, R>, options?: StorageCache.StorageCacheOptions) =>
  Effect.provide(body, Layer.mergeAll(MemoryStorageLayer, StorageCache.layer(SessionStorage, options)).pipe(Layer.provideMerge(Bus.layer())))

const stats = StorageCache.stats(SessionStorage)

/** Counts the get requests that reach below the cache; it can hold a backend result before returning it, or fail. */
const probeBelowCache = Effect.gen(function*() {
  const probe = {
    calls: 0,
    gate: undefined as Deferred.Deferred<void> | undefined,
    failure: undefined as Error | undefined
  }
  yield* Bus.handle(S.get, ({ next }) =>
    Effect.gen(function*() {
      probe.calls++
      const gate = probe.gate
      const result = yield* next()
      if (gate !== undefined) yield* Deferred.await(gate)
      if (probe.failure !== undefined) return yield* Effect.die(probe.failure)
      return result
    }), { priority: 50, label: "probe" })
  return probe
})

describe("StorageCache", () => {
  it.scoped("second read is a hit", () =>
    withCache(Effect.gen(function*() {
      const probe = yield* probeBelowCache
      yield* put(makeSession("a"))

      expect((yield* fetch("a"))?.id).toBe("a")
      expect((yield* fetch("a"))?.id).toBe("a")

      expect(probe.calls).toBe(1)
      expect(yield* stats).toMatchObject({ hits: 1, misses: 1, size: 1 })
    })))

  it.scoped("stale fill is not stored", () =>
    withCache(Effect.gen(function*() {
      const probe = yield* probeBelowCache
      yield* put(makeSession("a", { title: "old" }))
      const gate = yield* Deferred.make<void>()
      probe.gate = gate

      const slowRead = yield* Effect.fork(fetch("a"))
      yield* Effect.yieldNow()
      expect(probe.calls).toBe(1)
      probe.gate = undefined
      yield* put(makeSession("a", { title: "new" }))
      yield* Deferred.succeed(gate, undefined)

      expect((yield* Fiber.join(slowRead))?.title).toBe("old")
      expect((yield* fetch("a"))?.title).toBe("new")
      expect((yield* fetch("a"))?.title).toBe("new")
      expect(probe.calls).toBe(2)
    })))

  it.scoped("concurrent misses share one read", () =>
    withCache(Effect.gen(function*() {
      const probe = yield* probeBelowCache
      yield* put(makeSession("a"))
      const gate = yield* Deferred.make<void>()
      probe.gate = gate

      const readers = yield* Effect.fork(Effect.all(Array.from({ length: 50 }, () => fetch("a")), { concurrency: "unbounded" }))
      yield* Effect.yieldNow()
      yield* Deferred.succeed(gate, undefined)
      const results = yield* Fiber.join(readers)

      expect(probe.calls).toBe(1)
      expect(yield* stats).toMatchObject({ misses: 1, hits: 49 })
      expect(results).toHaveLength(50)
      expect(new Set(results.map((session) => session?.id))).toEqual(new Set(["a"]))
      expect(results[0]).not.toBe(results[1])
    })))

  it.scoped("shared failure is not cached", () =>
    withCache(Effect.gen(function*() {
      const probe = yield* probeBelowCache
      yield* put(makeSession("a"))
      const gate = yield* Deferred.make<void>()
      probe.gate = gate
      probe.failure = new Error("backend down")

      const readers = yield* Effect.fork(Effect.all(
        Array.from({ length: 50 }, () => Effect.either(fetch("a"))),
        { concurrency: "unbounded" }
      ))
      yield* Effect.yieldNow()
      yield* Deferred.succeed(gate, undefined)
      const results = yield* Fiber.join(readers)

      expect(probe.calls).toBe(1)
      expect(results.every((result) => Either.isLeft(result) && result.left._tag === "HandlerDefectError")).toBe(true)

      probe.gate = undefined
      probe.failure = undefined
      expect((yield* fetch("a"))?.id).toBe("a")
      expect(probe.calls).toBe(2)
    })))

  it.scoped("cached null is replaced by set", () =>
    withCache(Effect.gen(function*() {
      const probe = yield* probeBelowCache
      expect(yield* fetch("a")).toBeNull()
      expect(yield* fetch("a")).toBeNull()
      expect(probe.calls).toBe(1)

      yield* put(makeSession("a"))
      expect((yield* fetch("a"))?.id).toBe("a")
    })))

  it.scoped("delete clears entry and lists", () =>
    withCache(Effect.gen(function*() {
      yield* put(makeSession("a"))
      yield* put(makeSession("b"))
      yield* fetch("a")
      expect((yield* Bus.request(S.list, {})).sessions.map((session) => session.id)).toEqual(["a", "b"])

      yield* Bus.request(S.delete, { sessionId: "a" })

      expect(yield* fetch("a")).toBeNull()
      expect((yield* Bus.request(S.list, {})).sessions.map((session) => session.id)).toEqual(["b"])
    })))

  it.scoped("set invalidates cached lists", () =>
    withCache(Effect.gen(function*() {
      yield* put(makeSession("a", { status: "open" }))
      expect((yield* Bus.request(S.list, { status: "open" })).sessions).toHaveLength(1)
      expect((yield* Bus.request(S.list, { status: "open" })).sessions).toHaveLength(1)
      expect((yield* stats).hits).toBe(1)

      yield* put(makeSession("b", { status: "open" }))

      expect((yield* Bus.request(S.list, { status: "open" })).sessions).toHaveLength(2)
      expect((yield* stats).invalidations).toBeGreaterThanOrEqual(1)
    })))

  it.scoped("equal requests share an entry", () =>
    withCache(Effect.gen(function*() {
      yield* put(makeSession("a"))
      yield* Bus.request(S.list, { status: "open", limit: 5 })
      yield* Bus.request(S.list, { limit: 5, status: "open" })
      expect(yield* stats).toMatchObject({ hits: 1, misses: 1 })
    })))

  it.scoped("falsy values are hits", () =>
    Effect.gen(function*() {
      const Item = Schema.Struct({ id: Schema.String, value: Schema.Union(Schema.Number, Schema.Boolean, Schema.String) })
      const Items = StorageNamespace.crud("item", { entity: Item, key: "id" })
      yield* Layer.buildWithScope(Layer.mergeAll(MemoryStorage.crud(Items), StorageCache.layer(Items)), yield* Effect.scope)

      for (const [id, value] of [["zero", 0], ["no", false], ["empty", ""]] as const) {
        yield* Bus.request(Items.subjects.set, { itemId: id, item: { id, value } })
        expect((yield* Bus.request(Items.subjects.get, { itemId: id })).item?.value).toBe(value)
        expect((yield* Bus.request(Items.subjects.get, { itemId: id })).item?.value).toBe(value)
      }
      expect(yield* StorageCache.stats(Items)).toMatchObject({ hits: 3, misses: 3 })
    }).pipe(Effect.provide(Bus.layer())))

  it.scoped("entries expire after the time to live", () =>
    withCache(Effect.gen(function*() {
      const probe = yield* probeBelowCache
      yield* put(makeSession("a"))
      yield* fetch("a")
      yield* TestClock.adjust("59 seconds")
      yield* fetch("a")
      expect(probe.calls).toBe(1)

      yield* TestClock.adjust("1 second")
      yield* fetch("a")
      expect(probe.calls).toBe(2)
    }), { timeToLive: "1 minute" }))

  it.scoped("least recently used is evicted", () =>
    withCache(Effect.gen(function*() {
      const probe = yield* probeBelowCache
      for (const id of ["a", "b", "c"]) yield* put(makeSession(id))
      yield* fetch("a")
      yield* fetch("b")
      yield* fetch("a")
      yield* fetch("c")
      expect(probe.calls).toBe(3)
      expect(yield* stats).toMatchObject({ evictions: 1, size: 2 })

      yield* fetch("a")
      expect(probe.calls).toBe(3)
      yield* fetch("b")
      expect(probe.calls).toBe(4)
    }), { capacity: 2 }))

  it.scoped("changed events invalidate", () =>
    withCache(Effect.gen(function*() {
      const probe = yield* probeBelowCache
      yield* put(makeSession("a"))
      yield* fetch("a")
      yield* Bus.emit(S.changed, { operation: "set", key: "a" })
      yield* fetch("a")
      expect(probe.calls).toBe(2)
    })))

  it.scoped("describe shows the cache first", () =>
    withCache(Effect.gen(function*() {
      const description = yield* Bus.describe
      const chain = description.subjects.find((subject) => subject.name === S.get.name)!.handlers
      expect(chain.map((handler) => [handler.label, handler.priority])).toEqual([["cache:session", 100], ["memory:session", 0]])
    })))

  it.scoped("reads in a transaction bypass", () =>
    Effect.gen(function*() {
      yield* put(makeSession("a", { title: "committed" }))
      yield* fetch("a")

      yield* Effect.exit(Database.transaction(Effect.gen(function*() {
        yield* put(makeSession("a", { title: "rolled back" }))
        expect((yield* fetch("a"))?.title).toBe("rolled back")
        return yield* Effect.fail("abort")
      })))

      expect((yield* fetch("a"))?.title).toBe("committed")
      expect(yield* stats).toMatchObject({ size: 1 })
    }).pipe(
      Effect.provide(StorageCache.layer(SessionStorage).pipe(
        Layer.provideMerge(SqliteStorageLayer({ filename: ":memory:" })),
        Layer.provideMerge(Bus.layer())
      ))
    ))

  it.effect("unencodable list payload passes through", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Bus.request(S.list, { limit: "ten" } as never))
      expect(error._tag).toBe("InvalidPayloadError")
    }).pipe(Effect.provide(Layer.mergeAll(MemoryStorageLayer, StorageCache.layer(SessionStorage)).pipe(Layer.provideMerge(Bus.layer({ validation: "none" }))))))

  it.effect("non-string key is not coerced", () =>
    Effect.gen(function*() {
      yield* put(makeSession("5"))
      yield* fetch("5")
      const error = yield* Effect.flip(Bus.request(S.get, { sessionId: 5 } as never))
      expect(error._tag).toBe("InvalidPayloadError")
    }).pipe(Effect.provide(Layer.mergeAll(MemoryStorageLayer, StorageCache.layer(SessionStorage)).pipe(Layer.provideMerge(Bus.layer({ validation: "none" }))))))

  it("invalid capacity is rejected", () => {
    expect(() => Effect.runSync(Effect.scoped(Layer.build(StorageCache.layer(SessionStorage, { capacity: 0 }).pipe(Layer.provide(Bus.layer())))))).toThrow(/Invalid cache capacity 0/)
  })
})
