import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Bus, InvalidPayloadError, InvalidResponseError } from "../../src/index.js"
import { Happened, Lookup, withBus } from "./fixtures.js"

const badPayload = { user: { name: "Ada", age: "thirty" } } as unknown as typeof Lookup.request.Type

/** Registers a handler that counts its calls and answers with `response`. */
const countingHandler = (response: unknown) =>
  Effect.gen(function*() {
    const calls = { count: 0 }
    yield* Bus.handle(Lookup, () => Effect.sync(() => {
      calls.count++
      return response as typeof Lookup.response.Type
    }))
    return calls
  })

describe("Bus validation", () => {
  it.scoped("invalid payload names its path", () =>
    withBus(Effect.gen(function*() {
      const calls = yield* countingHandler({ greeting: "hi" })

      const error = yield* Effect.flip(Bus.request(Lookup, badPayload))

      expect(error).toBeInstanceOf(InvalidPayloadError)
      const issues = (error as InvalidPayloadError).issues
      expect(issues.map((issue) => issue.path)).toEqual([["user", "age"]])
      expect(issues[0]!.message).toContain("number")
      expect(error.message).toContain("test:lookup")
      expect(error.message).toContain("user.age")
      expect(calls.count).toBe(0)
    })))

  it.scoped("reports every invalid path", () =>
    withBus(Effect.gen(function*() {
      yield* countingHandler({ greeting: "hi" })
      const payload = { user: { name: 7, age: "x" } } as unknown as typeof Lookup.request.Type

      const error = yield* Effect.flip(Bus.request(Lookup, payload))

      expect((error as InvalidPayloadError).issues.map((issue) => issue.path)).toEqual([["user", "name"], ["user", "age"]])
    })))

  it.scoped("invalid response fails", () =>
    withBus(Effect.gen(function*() {
      yield* countingHandler({ greeting: 42 })

      const error = yield* Effect.flip(Bus.request(Lookup, { user: { name: "Ada", age: 36 } }))

      expect(error).toBeInstanceOf(InvalidResponseError)
      expect((error as InvalidResponseError).issues.map((issue) => issue.path)).toEqual([["greeting"]])
    })))

  it.scoped("requests mode rejects payload", () =>
    withBus(Effect.gen(function*() {
      const calls = yield* countingHandler({ greeting: "hi" })

      const error = yield* Effect.flip(Bus.request(Lookup, badPayload))

      expect(error._tag).toBe("InvalidPayloadError")
      expect(calls.count).toBe(0)
    }), { validation: "requests" }))

  it.scoped("requests mode passes response", () =>
    withBus(Effect.gen(function*() {
      yield* countingHandler({ greeting: 42 })

      const result = yield* Bus.request(Lookup, { user: { name: "Ada", age: 36 } })

      expect(result).toEqual({ greeting: 42 })
    }), { validation: "requests" }))

  it.scoped("none mode passes everything", () =>
    withBus(Effect.gen(function*() {
      const calls = yield* countingHandler({ greeting: 42 })

      const result = yield* Bus.request(Lookup, badPayload)

      expect(result).toEqual({ greeting: 42 })
      expect(calls.count).toBe(1)
    }), { validation: "none" }))

  it.scoped("invalid event payload fails", () =>
    withBus(Effect.gen(function*() {
      let delivered = 0
      yield* Bus.subscribe(Happened, () => Effect.sync(() => delivered++))

      const error = yield* Effect.flip(Bus.emit(Happened, { id: "one" } as unknown as { id: number }))

      expect(error._tag).toBe("InvalidPayloadError")
      expect(error.issues.map((issue) => issue.path)).toEqual([["id"]])
      expect(delivered).toBe(0)
    })))
})
