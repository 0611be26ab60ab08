import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Bus, MemoryStorageLayer, SessionStorage, SqliteStorageLayer } from "../../src/index.js"
import { makeSession } from "../conformance/storageConformance.js"

const S = SessionStorage.subjects

// With validation "none" the bus passes payloads unchecked, so each backend must reject bad input itself, the same way.
const backends = [
  ["memory", () => MemoryStorageLayer.pipe(Layer.provideMerge(Bus.layer({ validation: "none" })))],
  ["sqlite", () => SqliteStorageLayer({ filename: ":memory:" }).pipe(Layer.provideMerge(Bus.layer({ validation: "none" })))]
] as const

const rejected = <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.flip(effect), (error) => error._tag)

describe("backends without bus validation", () => {
  for (const [name, makeLayer] of backends) {
    it.effect(`${name}: bad keys are rejected`, () =>
      Effect.gen(function*() {
        expect(yield* rejected(Bus.request(S.get, { sessionId: 5 } as never))).toBe("InvalidPayloadError")
        expect(yield* rejected(Bus.request(S.get, {} as never))).toBe("InvalidPayloadError")
        expect(yield* rejected(Bus.request(S.delete, { sessionId: 5 } as never))).toBe("InvalidPayloadError")
        expect(yield* rejected(Bus.request(S.get, { sessionId: "\uD800" }))).toBe("InvalidPayloadError")
      }).pipe(Effect.provide(makeLayer())))

    it.effect(`${name}: bad entities are rejected`, () =>
      Effect.gen(function*() {
        const session = makeSession("a")
        expect(yield* rejected(Bus.request(S.set, { sessionId: "a", session: { ...session, version: 2n ** 64n } }))).toBe("InvalidPayloadError")
        expect(yield* rejected(Bus.request(S.set, { sessionId: "a", session: { ...session, title: "\uDC00" } }))).toBe("InvalidPayloadError")
        expect(yield* rejected(Bus.request(S.set, { sessionId: "b", session }))).toBe("InvalidPayloadError")
        expect(yield* rejected(Bus.request(S.set, { sessionId: "a", session: { ...session, metadata: { when: new Date() } } as never }))).toBe("InvalidPayloadError")
        expect((yield* Bus.request(S.get, { sessionId: "a" })).session).toBeNull()
      }).pipe(Effect.provide(makeLayer())))

    it.effect(`${name}: bad list requests are rejected`, () =>
      Effect.gen(function*() {
        expect(yield* rejected(Bus.request(S.list, { where: { nope: { eq: 1 } } } as never))).toBe("InvalidPayloadError")
        expect(yield* rejected(Bus.request(S.list, { limit: 0 }))).toBe("InvalidPayloadError")
        expect(yield* rejected(Bus.request(S.list, { where: { title: { eq: "\uD800" } } }))).toBe("InvalidPayloadError")
        expect(yield* rejected(Bus.request(S.list, { cursor: "forged" }))).toBe("InvalidPayloadError")
      }).pipe(Effect.provide(makeLayer())))
  }
})
