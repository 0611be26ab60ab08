/**
 * One conformance suite for every storage backend: a consumer must not be
 * able to tell which backend serves it, edge cases included. A backend runs it
 * with `runStorageConformance(name, makeLayer)`, where `makeLayer` returns a
 * Layer that provides a bus with session storage handlers, built fresh for
 * every test.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck, type Layer, Ref, type Scope, TestClock } from "effect"
import { Bus, type MakaioSession, SessionStorage } from "../../src/index.js"

const S = SessionStorage.subjects

/** A Layer with a bus and session storage handlers; built fresh for every test. */
export type BackendLayer = () => Layer.Layer<Bus, unknown>

const baseTime = Date.UTC(2026, 0, 2, 3, 4, 5, 678)

/** A session with every field set; `overrides` replaces some of them. */
export const makeSession = (id: string, overrides: Partial<MakaioSession> = {}): MakaioSession => ({
  id,
  status: "open",
  title: `title ${id}`,
  metadata: {},
  createdAt: new Date(baseTime),
  updatedAt: new Date(baseTime),
  version: 1n,
  ...overrides
})

export const put = (session: MakaioSession) => Bus.request(S.set, { sessionId: session.id, session })
export const fetch = (sessionId: string) => Effect.map(Bus.request(S.get, { sessionId }), (result) => result.session)
export const remove = (sessionId: string) => Effect.map(Bus.request(S.delete, { sessionId }), (result) => result.deleted)
const ids = (sessions: ReadonlyArray<MakaioSession>) => sessions.map((session) => session.id)

type ListPayload = typeof S.list.request.Type

/** Reads every page of a list request and returns the ids in order. */
export const listAll = (payload: ListPayload, between: Effect.Effect<void> = Effect.void) =>
  Effect.gen(function*() {
    const seen: Array<string> = []
    let cursor: string | null = null
    do {
      const page: typeof S.list.response.Type = yield* Bus.request(S.list, cursor === null ? payload : { ...payload, cursor })
      seen.push(...ids(page.sessions))
      cursor = page.nextCursor
      yield* between
    } while (cursor !== null)
    return seen
  })

const listIds = (payload: ListPayload) => Effect.map(Bus.request(S.list, { limit: 1_000, ...payload }), (page) => ids(page.sessions))

/** Records every change event the bus delivers. */
const recordChanges = Effect.gen(function*() {
  const changes: Array<string> = []
  yield* Bus.subscribe(S.changed, ({ key, operation }) => Effect.sync(() => void changes.push(`${operation}:${key}`)))
  return changes
})

const failureOf = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.flip(effect) as Effect.Effect<E & { readonly _tag: string }, A, R>

export const runStorageConformance = (name: string, makeLayer: BackendLayer): void => {
  /** Runs a test body against a fresh backend, in a scope closed when the test ends. */
  const withBackend = <A, E>(body: Effect.Effect<A, E, Bus | Scope.Scope>) =>
    Effect.scoped(Effect.provide(body, makeLayer()))

  describe(`storage conformance: ${name}`, () => {
    describe("get, set, delete", () => {
      it.effect("get of a missing key is null", () =>
        withBackend(Effect.gen(function*() {
          expect(yield* fetch("missing")).toBeNull()
        })))

      it.effect("set then get round-trips every field", () =>
        withBackend(Effect.gen(function*() {
          const sessions = [
            makeSession("dates", { createdAt: new Date(Date.UTC(1999, 11, 31, 23, 59, 59, 999)) }),
            makeSession("big-safe", { version: 2n ** 53n + 1n }),
            makeSession("big-max", { version: 2n ** 63n - 1n }),
            makeSession("big-min", { version: -(2n ** 63n) }),
            makeSession("zero", { version: 0n, title: "", status: "" }),
            makeSession("json", {
              metadata: { nested: { list: [1, -2.5, "three", null, true, { deep: [] }] }, zero: 0, no: false, empty: "" }
            }),
            makeSession("looks-like-json", { title: "{\"a\":1}", status: "[1,2]", metadata: { raw: "{\"b\":[null]}" } }),
            makeSession("text", { title: "nul\u0000inside 😀 and \u{10FFFF}", metadata: { "key\u0000": "v\u0000" } })
          ]
          for (const session of sessions) {
            yield* put(session)
          }

          for (const session of sessions) {
            const stored = yield* fetch(session.id)
            expect(stored).not.toBeNull()
            expect({ ...stored!, updatedAt: session.updatedAt }).toEqual(session)
            expect(stored!.createdAt.getTime()).toBe(session.createdAt.getTime())
            expect(typeof stored!.version).toBe("bigint")
          }
        })))

      it.effect("keys differing after a NUL are distinct", () =>
        withBackend(Effect.gen(function*() {
          yield* put(makeSession("a\u0000b", { title: "with nul" }))
          yield* put(makeSession("a", { title: "plain" }))

          expect((yield* fetch("a\u0000b"))?.title).toBe("with nul")
          expect((yield* fetch("a"))?.title).toBe("plain")
          expect(yield* remove("a")).toBe(true)
          expect((yield* fetch("a\u0000b"))?.title).toBe("with nul")
        })))

      it.effect("upsert keeps createdAt and advances updatedAt", () =>
        withBackend(Effect.gen(function*() {
          yield* TestClock.setTime(baseTime + 10_000)
          const created = new Date(baseTime)
          yield* put(makeSession("s", { createdAt: created, title: "first" }))
          const first = (yield* fetch("s"))!
          expect(first.createdAt.getTime()).toBe(created.getTime())
          expect(first.updatedAt.getTime()).toBe(baseTime + 10_000)

          yield* put(makeSession("s", { createdAt: new Date(0), title: "second" }))
          const second = (yield* fetch("s"))!
          expect(second.title).toBe("second")
          expect(second.createdAt.getTime()).toBe(created.getTime())
          // The clock did not move, yet updatedAt still advances.
          expect(second.updatedAt.getTime()).toBe(baseTime + 10_001)

          yield* TestClock.adjust("5 seconds")
          yield* put(makeSession("s", { title: "third" }))
          expect((yield* fetch("s"))!.updatedAt.getTime()).toBe(baseTime + 15_000)
        })))

      it.effect("delete reports whether it removed", () =>
        withBackend(Effect.gen(function*() {
          yield* put(makeSession("s"))
          expect(yield* remove("s")).toBe(true)
          expect(yield* fetch("s")).toBeNull()
          expect(yield* remove("s")).toBe(false)
          expect(yield* remove("never-existed")).toBe(false)
        })))

      it.effect("returned objects are not shared", () =>
        withBackend(Effect.gen(function*() {
          const original = makeSession("s", { metadata: { list: [1] } })
          yield* put(original)
          ;(original.metadata.list as Array<number>).push(2)

          const read = (yield* fetch("s"))!
          ;(read.metadata.list as Array<number>).push(3)
          read.createdAt.setTime(0)

          const again = (yield* fetch("s"))!
          expect(again.metadata).toEqual({ list: [1] })
          expect(again.createdAt.getTime()).toBe(baseTime)
        })))

      it.effect("key mismatch in set writes nothing", () =>
        withBackend(Effect.gen(function*() {
          const error = yield* failureOf(Bus.request(S.set, { sessionId: "a", session: makeSession("b") }))
          expect(error._tag).toBe("InvalidPayloadError")
          expect(yield* fetch("a")).toBeNull()
          expect(yield* fetch("b")).toBeNull()
        })))

      it.effect("bigint beyond 64 bits writes nothing", () =>
        withBackend(Effect.gen(function*() {
          yield* put(makeSession("s", { version: 5n }))

          const error = yield* failureOf(put(makeSession("s", { version: 2n ** 64n })))
          expect(error._tag).toBe("InvalidPayloadError")
          expect(JSON.stringify(error)).toContain("version")
          expect((yield* fetch("s"))!.version).toBe(5n)

          const created = yield* failureOf(put(makeSession("new", { version: -(2n ** 63n) - 1n })))
          expect(created._tag).toBe("InvalidPayloadError")
          expect(yield* fetch("new")).toBeNull()
        })))

      it.effect("unstorable text is rejected", () =>
        withBackend(Effect.gen(function*() {
          const lone = "x\uD800y"
          expect((yield* failureOf(put(makeSession("s", { title: lone }))))._tag).toBe("InvalidPayloadError")
          expect((yield* failureOf(put(makeSession(lone))))._tag).toBe("InvalidPayloadError")
          expect((yield* failureOf(put(makeSession("s", { metadata: { [lone]: 1 } }))))._tag).toBe("InvalidPayloadError")
          expect((yield* failureOf(fetch(lone)))._tag).toBe("InvalidPayloadError")
          expect((yield* failureOf(Bus.request(S.list, { where: { title: { gt: "\uDC00" } } })))._tag).toBe("InvalidPayloadError")
          expect(yield* fetch("s")).toBeNull()
        })))

      it.effect("non-JSON metadata is rejected", () =>
        withBackend(Effect.gen(function*() {
          const cases: ReadonlyArray<readonly [string, unknown]> = [
            ["date", { when: new Date(0) }],
            ["map", { map: new Map([["a", 1]]) }],
            ["undefined", { missing: undefined }],
            ["infinity", { big: Infinity }],
            ["array hole", { list: [1, , 3] }],
            ["prototype key", JSON.parse("{\"__proto__\": {\"polluted\": true}}")]
          ]
          for (const [label, metadata] of cases) {
            const error = yield* failureOf(put(makeSession(label, { metadata: metadata as MakaioSession["metadata"] })))
            expect(error._tag).toBe("InvalidPayloadError")
            expect(yield* fetch(label)).toBeNull()
          }
        })))

      it.effect("deep metadata is rejected cleanly", () =>
        withBackend(Effect.gen(function*() {
          const nest = (depth: number) => {
            let value: Record<string, unknown> = {}
            for (let level = 0; level < depth; level++) value = { inner: value }
            return value as MakaioSession["metadata"]
          }
          yield* put(makeSession("shallow", { metadata: nest(200) }))
          expect((yield* fetch("shallow"))?.metadata).toEqual(nest(200))

          for (const depth of [300, 5_000]) {
            const error = yield* failureOf(put(makeSession(`deep-${depth}`, { metadata: nest(depth) })))
            expect(error._tag).toBe("InvalidPayloadError")
          }
          const cyclic: Record<string, unknown> = {}
          cyclic.self = cyclic
          expect((yield* failureOf(put(makeSession("cyclic", { metadata: cyclic as MakaioSession["metadata"] }))))._tag).toBe("InvalidPayloadError")
        })))

      it.effect("negative zero reads back as zero", () =>
        withBackend(Effect.gen(function*() {
          yield* put(makeSession("s", { metadata: { z: -0, list: [-0] } }))
          const stored = (yield* fetch("s"))!.metadata as { z: number; list: Array<number> }
          expect(Object.is(stored.z, 0)).toBe(true)
          expect(Object.is(stored.list[0], 0)).toBe(true)
        })))

      it.effect("100 concurrent sets all land", () =>
        withBackend(Effect.gen(function*() {
          const keys = Array.from({ length: 100 }, (_, index) => `k${index}`)
          yield* Effect.forEach(keys, (key) => put(makeSession(key)), { concurrency: "unbounded", discard: true })

          const page = yield* Bus.request(S.list, { limit: 1_000, count: true })
          expect(page.total).toBe(100)
          expect(new Set(ids(page.sessions))).toEqual(new Set(keys))
        })))
    })

    describe("change events", () => {
      it.effect("one event per successful write", () =>
        withBackend(Effect.gen(function*() {
          const changes = yield* recordChanges
          yield* put(makeSession("a"))
          yield* put(makeSession("a", { title: "again" }))
          yield* remove("a")
          expect(changes).toEqual(["set:a", "set:a", "delete:a"])
        })))

      it.effect("no event for failed or empty writes", () =>
        withBackend(Effect.gen(function*() {
          const changes = yield* recordChanges
          yield* remove("missing")
          yield* Effect.either(Bus.request(S.set, { sessionId: "a", session: makeSession("b") }))
          yield* Effect.either(put(makeSession("c", { version: 2n ** 64n })))
          yield* Effect.either(fetch("a"))
          expect(changes).toEqual([])
        })))
    })

    describe("list filters", () => {
      const seed = Effect.forEach([
        makeSession("s1", { status: "open", title: "alpha", version: 1n, createdAt: new Date(baseTime + 1) }),
        makeSession("s2", { status: "open", title: null, version: 2n, createdAt: new Date(baseTime + 2) }),
        makeSession("s3", { status: "closed", title: "beta", version: 3n, createdAt: new Date(baseTime + 3) }),
        makeSession("s4", { status: "closed", title: "alphabet", version: 2n ** 62n, createdAt: new Date(baseTime + 4) }),
        makeSession("s5", { status: "archived", title: "", version: -5n, createdAt: new Date(baseTime + 5) })
      ], put, { discard: true })

      const cases: ReadonlyArray<readonly [string, ListPayload, ReadonlyArray<string>]> = [
        ["direct status", { status: "open" }, ["s1", "s2"]],
        ["eq", { where: { title: { eq: "beta" } } }, ["s3"]],
        ["eq on empty string", { where: { title: { eq: "" } } }, ["s5"]],
        ["ne skips nulls", { where: { title: { ne: "beta" } } }, ["s1", "s4", "s5"]],
        ["in", { where: { status: { in: ["archived", "closed"] } } }, ["s3", "s4", "s5"]],
        ["in with no values", { where: { status: { in: [] } } }, []],
        ["gt on bigint", { where: { version: { gt: 2n } } }, ["s3", "s4"]],
        ["gte on bigint", { where: { version: { gte: 2n } } }, ["s2", "s3", "s4"]],
        ["lt on bigint", { where: { version: { lt: 2n } } }, ["s1", "s5"]],
        ["lte on date", { where: { createdAt: { lte: new Date(baseTime + 2) } } }, ["s1", "s2"]],
        ["range on date", { where: { createdAt: { gt: new Date(baseTime + 1), lt: new Date(baseTime + 5) } } }, ["s2", "s3", "s4"]],
        ["gt on string", { where: { title: { gt: "alpha" } } }, ["s3", "s4"]],
        ["startsWith", { where: { title: { startsWith: "alpha" } } }, ["s1", "s4"]],
        ["startsWith is case-sensitive", { where: { title: { startsWith: "ALPHA" } } }, []],
        ["startsWith empty prefix", { where: { title: { startsWith: "" } } }, ["s1", "s3", "s4", "s5"]],
        ["isNull true", { where: { title: { isNull: true } } }, ["s2"]],
        ["isNull false", { where: { title: { isNull: false } } }, ["s1", "s3", "s4", "s5"]],
        ["filters combine", { status: "closed", where: { title: { startsWith: "al" }, version: { gt: 0n } } }, ["s4"]],
        ["filter on key", { where: { id: { in: ["s5", "s1", "nope"] } } }, ["s1", "s5"]]
      ]

      for (const [label, payload, expected] of cases) {
        it.effect(`filter: ${label}`, () =>
          withBackend(Effect.gen(function*() {
            yield* seed
            expect(yield* listIds(payload)).toEqual(expected)
          })))
      }

      it.effect("count ignores paging", () =>
        withBackend(Effect.gen(function*() {
          yield* seed
          const page = yield* Bus.request(S.list, { where: { version: { gt: 0n } }, limit: 2, count: true })
          expect(ids(page.sessions)).toEqual(["s1", "s2"])
          expect(page.total).toBe(4)
          expect(page.nextCursor).not.toBeNull()

          const withoutCount = yield* Bus.request(S.list, { limit: 2 })
          expect(withoutCount.total).toBeUndefined()
        })))

      it.effect("startsWith compares code points", () =>
        withBackend(Effect.gen(function*() {
          yield* put(makeSession("emoji", { title: "😀 smile" }))
          yield* put(makeSession("nul", { title: "a\u0000b" }))
          yield* put(makeSession("plain", { title: "a" }))
          expect(yield* listIds({ where: { title: { startsWith: "😀" } } })).toEqual(["emoji"])
          expect(yield* listIds({ where: { title: { startsWith: "a\u0000" } } })).toEqual(["nul"])
          expect(yield* listIds({ where: { title: { startsWith: "a" } } })).toEqual(["nul", "plain"])
        })))
    })

    describe("list ordering", () => {
      it.effect("ties break by key", () =>
        withBackend(Effect.gen(function*() {
          for (const id of ["d", "b", "a", "c"]) {
            yield* put(makeSession(id, { status: id < "c" ? "x" : "y" }))
          }
          expect(yield* listIds({ orderBy: [{ field: "status" }] })).toEqual(["a", "b", "c", "d"])
          expect(yield* listIds({ orderBy: [{ field: "status", direction: "desc" }] })).toEqual(["c", "d", "a", "b"])
          expect(yield* listIds({})).toEqual(["a", "b", "c", "d"])
        })))

      it.effect("nulls sort first ascending", () =>
        withBackend(Effect.gen(function*() {
          yield* put(makeSession("t1", { title: "b" }))
          yield* put(makeSession("t2", { title: null }))
          yield* put(makeSession("t3", { title: "a" }))
          yield* put(makeSession("t4", { title: null }))
          expect(yield* listIds({ orderBy: [{ field: "title" }] })).toEqual(["t2", "t4", "t3", "t1"])
          expect(yield* listIds({ orderBy: [{ field: "title", direction: "desc" }] })).toEqual(["t1", "t3", "t2", "t4"])
        })))

      it.effect("strings sort by code point", () =>
        withBackend(Effect.gen(function*() {
          const titles = ["\uFFFF", "😀", "a", "B", "", "a\u0000", "é"]
          for (const [index, title] of titles.entries()) {
            yield* put(makeSession(`t${index}`, { title }))
          }
          const ordered = yield* Bus.request(S.list, { orderBy: [{ field: "title" }] })
          expect(ordered.sessions.map((session) => session.title)).toEqual(["", "B", "a", "a\u0000", "é", "\uFFFF", "😀"])
        })))

      it.effect("bigints and dates sort numerically", () =>
        withBackend(Effect.gen(function*() {
          yield* put(makeSession("v1", { version: 10n, createdAt: new Date(baseTime + 1_000) }))
          yield* put(makeSession("v2", { version: -(2n ** 63n), createdAt: new Date(baseTime + 20) }))
          yield* put(makeSession("v3", { version: 2n ** 63n - 1n, createdAt: new Date(baseTime + 3) }))
          yield* put(makeSession("v4", { version: 9n, createdAt: new Date(0) }))
          expect(yield* listIds({ orderBy: [{ field: "version" }] })).toEqual(["v2", "v4", "v1", "v3"])
          expect(yield* listIds({ orderBy: [{ field: "createdAt", direction: "desc" }] })).toEqual(["v1", "v2", "v3", "v4"])
        })))

      it.effect("several ordering keys apply in turn", () =>
        withBackend(Effect.gen(function*() {
          yield* put(makeSession("a", { status: "x", version: 1n }))
          yield* put(makeSession("b", { status: "x", version: 2n }))
          yield* put(makeSession("c", { status: "w", version: 2n }))
          yield* put(makeSession("d", { status: "x", version: 2n }))
          const payload: ListPayload = { orderBy: [{ field: "version", direction: "desc" }, { field: "status" }] }
          expect(yield* listIds(payload)).toEqual(["c", "b", "d", "a"])
          expect(yield* listAll({ ...payload, limit: 1 })).toEqual(["c", "b", "d", "a"])
        })))
    })

    describe("list paging", () => {
      const seedMany = (count: number) =>
        Effect.forEach(Array.from({ length: count }, (_, index) => index), (index) =>
          put(makeSession(`row-${String(index).padStart(4, "0")}`, {
            status: index % 3 === 0 ? "open" : "closed",
            title: index % 10 === 0 ? null : `title ${index % 17}`,
            version: BigInt(index % 5),
            createdAt: new Date(baseTime + (index % 13))
          })), { discard: true })

      for (const limit of [1, 7, 100]) {
        it.effect(`pages of ${limit} visit every row once`, () =>
          withBackend(Effect.gen(function*() {
            yield* seedMany(1_000)
            for (const orderBy of [undefined, [{ field: "title" as const, direction: "desc" as const }], [{ field: "createdAt" as const }, { field: "version" as const, direction: "desc" as const }]]) {
              const seen = yield* listAll({ limit, ...(orderBy === undefined ? {} : { orderBy }) })
              expect(seen).toHaveLength(1_000)
              expect(new Set(seen).size).toBe(1_000)
            }
          })))
      }

      it.effect("paging survives concurrent inserts", () =>
        withBackend(Effect.gen(function*() {
          yield* seedMany(1_000)
          const inserted = yield* Ref.make(0)
          const insertMore = Effect.forEach(Array.from({ length: 300 }, (_, index) => index), (index) =>
            put(makeSession(`new-${index}`, { title: `title ${index % 17}`, createdAt: new Date(baseTime + (index % 13)) })).pipe(
              Effect.zipRight(Ref.update(inserted, (count) => count + 1)),
              Effect.zipRight(Effect.yieldNow())
            ), { discard: true })

          const [seen] = yield* Effect.all([
            listAll({ limit: 7, orderBy: [{ field: "title" }] }, Effect.yieldNow()),
            insertMore
          ], { concurrency: 2 })

          const old = seen.filter((id) => id.startsWith("row-"))
          expect(old).toHaveLength(1_000)
          expect(new Set(old).size).toBe(1_000)
          expect(new Set(seen).size).toBe(seen.length)
          expect(yield* Ref.get(inserted)).toBe(300)
        })))

      it.effect("the last page has no cursor", () =>
        withBackend(Effect.gen(function*() {
          yield* seedMany(4)
          const first = yield* Bus.request(S.list, { limit: 2 })
          expect(first.nextCursor).not.toBeNull()
          const second = yield* Bus.request(S.list, { limit: 2, cursor: first.nextCursor! })
          expect(ids(second.sessions)).toEqual(["row-0002", "row-0003"])
          expect(second.nextCursor).toBeNull()

          const exact = yield* Bus.request(S.list, { limit: 4 })
          expect(exact.nextCursor).toBeNull()
          const empty = yield* Bus.request(S.list, { where: { status: { eq: "none" } } })
          expect(empty).toEqual({ sessions: [], nextCursor: null })
        })))

      it.effect("limit defaults to 50", () =>
        withBackend(Effect.gen(function*() {
          yield* seedMany(60)
          const page = yield* Bus.request(S.list, {})
          expect(page.sessions).toHaveLength(50)
          const largest = yield* Bus.request(S.list, { limit: 1_000 })
          expect(largest.sessions).toHaveLength(60)
        })))
    })

    describe("invalid list requests", () => {
      const cursorOf = Effect.gen(function*() {
        yield* put(makeSession("a"))
        yield* put(makeSession("b"))
        return (yield* Bus.request(S.list, { limit: 1 })).nextCursor!
      })

      const invalid = (payload: unknown) =>
        Effect.map(failureOf(Bus.request(S.list, payload as ListPayload)), (error) => {
          expect(error._tag).toBe("InvalidPayloadError")
          return (error as unknown as { issues: ReadonlyArray<{ path: ReadonlyArray<unknown> }> }).issues.map((issue) => issue.path)
        })

      it.effect("unknown filter field", () =>
        withBackend(Effect.gen(function*() {
          expect(yield* invalid({ where: { metadata: { eq: 1 } } })).toEqual([["where", "metadata"]])
          expect(yield* invalid({ where: { nope: { eq: 1 } } })).toEqual([["where", "nope"]])
        })))

      it.effect("unknown operator and top-level field", () =>
        withBackend(Effect.gen(function*() {
          expect(yield* invalid({ where: { title: { like: "a%" } } })).toEqual([["where", "title", "like"]])
          expect(yield* invalid({ where: { version: { startsWith: "1" } } })).toEqual([["where", "version", "startsWith"]])
          expect(yield* invalid({ title: "a" })).toEqual([["title"]])
        })))

      it.effect("unknown sort field", () =>
        withBackend(Effect.gen(function*() {
          expect(yield* invalid({ orderBy: [{ field: "metadata" }] })).toEqual([["orderBy", 0, "field"]])
          expect(yield* invalid({ orderBy: [{ field: "title", direction: "up" }] })).toEqual([["orderBy", 0, "direction"]])
        })))

      it.effect("limit out of range", () =>
        withBackend(Effect.gen(function*() {
          expect(yield* invalid({ limit: 1_001 })).toEqual([["limit"]])
          expect(yield* invalid({ limit: 0 })).toEqual([["limit"]])
          expect(yield* invalid({ limit: 2.5 })).toEqual([["limit"]])
        })))

      it.effect("too many in values", () =>
        withBackend(Effect.gen(function*() {
          const values = Array.from({ length: 1_001 }, (_, index) => `id-${index}`)
          expect(yield* invalid({ where: { id: { in: values } } })).toEqual([["where", "id", "in"]])
          expect(yield* listIds({ where: { id: { in: values.slice(0, 1_000) } } })).toEqual([])
        })))

      it.effect("wrong filter value type", () =>
        withBackend(Effect.gen(function*() {
          expect(yield* invalid({ where: { version: { gt: 5 } } })).toEqual([["where", "version", "gt"]])
          expect(yield* invalid({ where: { createdAt: { lt: "2026-01-01" } } })).toEqual([["where", "createdAt", "lt"]])
        })))

      it.effect("tampered cursor", () =>
        withBackend(Effect.gen(function*() {
          const cursor = yield* cursorOf
          const [body, seal] = cursor.split(".")
          const edited = Buffer.from(Buffer.from(body!, "base64url").toString("utf8").replace("\"a\"", "\"z\""), "utf8").toString("base64url")

          expect(yield* invalid({ limit: 1, cursor: `${edited}.${seal}` })).toEqual([["cursor"]])
          expect(yield* invalid({ limit: 1, cursor: cursor.slice(0, -2) })).toEqual([["cursor"]])
          expect(yield* invalid({ limit: 1, cursor: "garbage" })).toEqual([["cursor"]])
          expect(yield* invalid({ limit: 1, cursor: "" })).toEqual([["cursor"]])
        })))

      it.effect("cursor of another query", () =>
        withBackend(Effect.gen(function*() {
          const cursor = yield* cursorOf
          expect(yield* invalid({ limit: 1, cursor, orderBy: [{ field: "title" }] })).toEqual([["cursor"]])
          expect(yield* invalid({ limit: 1, cursor, status: "open" })).toEqual([["cursor"]])

          // Page size is not part of the query: a cursor works with another limit.
          const next = yield* Bus.request(S.list, { limit: 5, cursor })
          expect(ids(next.sessions)).toEqual(["b"])
        })))
    })

    describe("against a model", () => {
      type Step =
        | { readonly kind: "set"; readonly id: string; readonly status: string; readonly title: string | null; readonly version: bigint }
        | { readonly kind: "delete"; readonly id: string }
        | { readonly kind: "get"; readonly id: string }
        | {
          readonly kind: "list"
          readonly status: string | undefined
          readonly field: "title" | "version" | "createdAt"
          readonly direction: "asc" | "desc"
          readonly limit: number
        }

      const idArbitrary = FastCheck.constantFrom("a", "b", "c", "a\u0000", "😀", "\uFFFF", "B", "")
      const statusArbitrary = FastCheck.constantFrom("open", "closed")
      const stepArbitrary: FastCheck.Arbitrary<Step> = FastCheck.oneof(
        FastCheck.record({
          kind: FastCheck.constant("set" as const),
          id: idArbitrary,
          status: statusArbitrary,
          title: FastCheck.option(FastCheck.constantFrom("x", "y", "xy", "😀", "", "\uFFFF"), { nil: null }),
          version: FastCheck.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
        }),
        FastCheck.record({ kind: FastCheck.constant("delete" as const), id: idArbitrary }),
        FastCheck.record({ kind: FastCheck.constant("get" as const), id: idArbitrary }),
        FastCheck.record({
          kind: FastCheck.constant("list" as const),
          status: FastCheck.option(statusArbitrary, { nil: undefined }),
          field: FastCheck.constantFrom("title" as const, "version" as const, "createdAt" as const),
          direction: FastCheck.constantFrom("asc" as const, "desc" as const),
          limit: FastCheck.integer({ min: 1, max: 4 })
        })
      )

      // The model: a map, and a sort written independently of the backends'.
      const codePoints = (text: string) => Array.from(text, (char) => char.codePointAt(0)!)
      const compareText = (left: string, right: string) => {
        const a = codePoints(left)
        const b = codePoints(right)
        for (let index = 0; index < Math.min(a.length, b.length); index++) {
          if (a[index] !== b[index]) return a[index]! - b[index]!
        }
        return a.length - b.length
      }
      const compareField = (left: MakaioSession, right: MakaioSession, field: "title" | "version" | "createdAt") => {
        const a = left[field]
        const b = right[field]
        if (a === null && b === null) return 0
        if (a === null) return -1
        if (b === null) return 1
        if (typeof a === "string") return compareText(a, b as string)
        if (typeof a === "bigint") return Number(a > (b as bigint)) - Number(a < (b as bigint))
        return (a as Date).getTime() - (b as Date).getTime()
      }

      it.effect.prop("matches a model", [FastCheck.array(stepArbitrary, { maxLength: 40 })], ([steps]) =>
        withBackend(Effect.gen(function*() {
          const model = new Map<string, MakaioSession>()
          let tick = 0

          for (const step of steps) {
            switch (step.kind) {
              case "set": {
                // The test clock does not move, so updatedAt is the stored one plus 1 ms, or 0 for a new entity.
                const previous = model.get(step.id)
                const session = makeSession(step.id, {
                  status: step.status,
                  title: step.title,
                  version: step.version,
                  createdAt: new Date(baseTime + tick++)
                })
                yield* put(session)
                model.set(step.id, {
                  ...session,
                  createdAt: previous?.createdAt ?? session.createdAt,
                  updatedAt: new Date(previous === undefined ? 0 : previous.updatedAt.getTime() + 1)
                })
                break
              }
              case "delete":
                expect(yield* remove(step.id)).toBe(model.delete(step.id))
                break
              case "get":
                expect(yield* fetch(step.id)).toEqual(model.get(step.id) ?? null)
                break
              case "list": {
                const expected = [...model.values()]
                  .filter((session) => step.status === undefined || session.status === step.status)
                  .sort((left, right) => {
                    const byField = compareField(left, right, step.field)
                    const directed = step.direction === "asc" ? byField : -byField
                    return directed !== 0 ? directed : compareText(left.id, right.id)
                  })
                const payload: ListPayload = {
                  ...(step.status === undefined ? {} : { status: step.status }),
                  orderBy: [{ field: step.field, direction: step.direction }],
                  limit: step.limit,
                  count: true
                }
                const page = yield* Bus.request(S.list, payload)
                expect(page.sessions).toEqual(expected.slice(0, step.limit))
                expect(page.total).toBe(expected.length)
                expect(page.nextCursor === null).toBe(expected.length <= step.limit)
                expect(yield* listAll({ ...payload, count: false })).toEqual(ids(expected))
                break
              }
            }
          }
        })), { fastCheck: { numRuns: 60 } })
    })
  })
}
