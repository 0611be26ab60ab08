import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Bus, HandlerDefectError, NoHandlerError, Subject } from "../../src/index.js"
import { Lookup, NotFound, Ping, withBus } from "./fixtures.js"

const lookupPayload = { user: { name: "Ada", age: 36 } }

describe("Bus errors", () => {
  it.scoped("declared failure reaches caller", () =>
    withBus(Effect.gen(function*() {
      yield* Bus.handle(Lookup, ({ payload }) => Effect.fail(new NotFound({ key: payload.user.name })))

      const error = yield* Effect.flip(Bus.request(Lookup, lookupPayload))

      expect(error).toBeInstanceOf(NotFound)
      expect(error).toMatchObject({ _tag: "NotFound", key: "Ada" })
    })))

  const defects = {
    "throws inside an Effect": () => Effect.sync((): "pong" => {
      throw new Error("boom")
    }),
    "dies": () => Effect.die(new Error("boom")),
    "throws before returning an Effect": (): Effect.Effect<"pong"> => {
      throw new Error("boom")
    }
  }

  for (const [name, handler] of Object.entries(defects)) {
    it.scoped(`handler that ${name}`, () =>
      withBus(Effect.gen(function*() {
        yield* Bus.handle(Ping, handler)

        const error = yield* Effect.flip(Bus.request(Ping, {}))

        expect(error).toBeInstanceOf(HandlerDefectError)
        expect(error).toMatchObject({ subject: "test:ping" })
        expect((error as HandlerDefectError).cause).toBeInstanceOf(Error)
        expect(error.message).toContain("boom")
      })))
  }

  it.scoped("bus works after a defect", () =>
    withBus(Effect.gen(function*() {
      let calls = 0
      yield* Bus.handle(Ping, () =>
        Effect.suspend(() => (++calls === 1 ? Effect.die(new Error("first call fails")) : Effect.succeed("pong" as const))))

      expect((yield* Effect.flip(Bus.request(Ping, {})))._tag).toBe("HandlerDefectError")
      expect(yield* Bus.request(Ping, {})).toBe("pong")
    })))

  it.scoped("undeclared failure becomes defect", () =>
    withBus(Effect.gen(function*() {
      const undeclared = { _tag: "Surprise" }
      yield* Bus.handle(Ping, () => Effect.fail(undeclared) as unknown as Effect.Effect<"pong">)

      const error = yield* Effect.flip(Bus.request(Ping, {}))

      expect(error).toBeInstanceOf(HandlerDefectError)
      expect((error as HandlerDefectError).cause).toEqual(undeclared)
    })))

  it.scoped("errors survive schema encoding", () =>
    withBus(Effect.gen(function*() {
      const error = yield* Effect.flip(Bus.request(Ping, {}))
      expect(error).toBeInstanceOf(NoHandlerError)

      const encoded = yield* Schema.encode(NoHandlerError)(error as NoHandlerError)
      const decoded = yield* Schema.decodeUnknown(NoHandlerError)(JSON.parse(JSON.stringify(encoded)))

      expect(encoded).toEqual({ _tag: "NoHandlerError", subject: "test:ping" })
      expect(decoded).toBeInstanceOf(NoHandlerError)
      expect(decoded.message).toContain("test:ping")
    })))

  it("malformed subject name rejected", () => {
    expect(() => Subject.request("bad name", { request: Schema.Void, response: Schema.Void })).toThrow(/Invalid subject name "bad name"/)
    expect(() => Subject.event("", Schema.Void)).toThrow(TypeError)
  })
})
