import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Schema } from "effect"
import { Bus, Subject } from "../../src/index.js"
import { Happened, Lookup, Ping, Trace, withBus } from "./fixtures.js"

const Shelf = {
  name: "test:shelf",
  subjects: {
    put: Subject.request("test:shelf.put", { request: Schema.Struct({ item: Schema.String }), response: Schema.Boolean }),
    moved: Subject.event("test:shelf.moved", Schema.Struct({ item: Schema.String }))
  }
}

describe("Bus subject lookup", () => {
  it.effect("namespace subjects found", () =>
    withBus(Effect.gen(function*() {
      yield* Bus.registerNamespace(Shelf)

      expect(yield* Bus.subject("test:shelf.put")).toEqual(Option.some(Shelf.subjects.put))
      expect(yield* Bus.subject("test:shelf.moved")).toEqual(Option.some(Shelf.subjects.moved))
    })))

  it.scoped("handled subject found", () =>
    withBus(Effect.gen(function*() {
      yield* Bus.handle(Ping, () => Effect.succeed("pong" as const))
      yield* Bus.subscribe(Happened, () => Effect.void)

      const ping = yield* Bus.subject(Ping.name)
      const happened = yield* Bus.subject(Happened.name)

      expect(Option.getOrThrow(ping)).toBe(Ping)
      expect(Option.getOrThrow(happened)).toBe(Happened)
    })))

  it.effect("unknown name is none", () =>
    withBus(Effect.gen(function*() {
      yield* Bus.registerNamespace(Shelf)

      expect(yield* Bus.subject("test:shelf")).toEqual(Option.none())
      expect(yield* Bus.subject(Trace.name)).toEqual(Option.none())
    })))

  it.scoped("lookup matches describe", () =>
    withBus(Effect.gen(function*() {
      yield* Bus.registerNamespace(Shelf)
      yield* Bus.handle(Lookup, ({ payload }) => Effect.succeed({ greeting: `hello ${payload.user.name}` }))

      const { subjects } = yield* Bus.describe
      for (const { kind, name } of subjects) {
        const subject = Option.getOrThrow(yield* Bus.subject(name))
        expect(subject.name).toBe(name)
        expect(subject._tag).toBe(kind === "request" ? "RequestSubject" : "EventSubject")
      }
      expect(subjects.map((subject) => subject.name)).toEqual(["test:lookup", "test:shelf.moved", "test:shelf.put"])
    })))
})
