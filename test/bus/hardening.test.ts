import { describe, expect, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Either, Exit, Fiber, Logger, LogLevel, Option, Schema, TestClock } from "effect"
import { Bus, HandlerDefectError, Subject, SubjectConflictError } from "../../src/index.js"
import { Happened, Ping, Trace, withBus } from "./fixtures.js"

class Declared extends Schema.TaggedError<Declared>()("Declared", {}) {}

const Guarded = Subject.request("test:guarded", {
  request: Schema.Struct({ tags: Schema.Array(Schema.String) }),
  response: Schema.Struct({ id: Schema.String }),
  failure: Declared
})

const Count = Subject.request("test:count", { request: Schema.Number, response: Schema.Number })

/** The message of the defect an exit died with, or "" when it did not die. */
const defectMessage = (exit: Exit.Exit<unknown, unknown>): string =>
  Exit.isFailure(exit) && Cause.isDie(exit.cause) ? String((Cause.squash(exit.cause) as Error).message) : ""

describe("Bus hardening", () => {
  for (const validation of ["all", "requests", "none"] as const) {
    it.scoped(`undeclared failure is a defect (${validation})`, () =>
      withBus(Effect.gen(function*() {
        class Secret extends Schema.TaggedError<Secret>()("Secret", { detail: Schema.String }) {}
        yield* Bus.handle(Guarded, () => Effect.fail(new Secret({ detail: "db password" })) as unknown as Effect.Effect<never>)

        const error = yield* Effect.flip(Bus.request(Guarded, { tags: [] }))

        expect(error).toBeInstanceOf(HandlerDefectError)
        expect(error.message).toContain("\"Secret\"")
        expect(error.message).not.toContain("db password")
      }), { validation }))
  }

  it.scoped("impostor bus error is a defect", () =>
    withBus(Effect.gen(function*() {
      yield* Bus.handle(Ping, () => Effect.fail({ _tag: "NoHandlerError" }) as unknown as Effect.Effect<"pong">)
      const error = yield* Effect.flip(Bus.request(Ping, {}))
      expect(error).toBeInstanceOf(HandlerDefectError)
    })))

  it.scoped("thrown object names no values", () =>
    withBus(Effect.gen(function*() {
      yield* Bus.handle(Ping, () => Effect.sync((): "pong" => {
        throw { code: 42 }
      }))
      const error = yield* Effect.flip(Bus.request(Ping, {}))
      expect(error.message).toBe("A handler of \"test:ping\" failed unexpectedly with a non-Error object was thrown")
    })))

  it.scoped("payload is a private copy", () =>
    withBus(Effect.gen(function*() {
      const received: Array<unknown> = []
      yield* Bus.handle(Guarded, ({ payload }) => Effect.sync(() => {
        received.push(payload)
        ;(payload.tags as Array<string>).push("added by handler")
        return { id: "1" }
      }))

      const sent = { tags: ["a"], isAdmin: true }
      yield* Bus.request(Guarded, sent)

      expect(received).toEqual([{ tags: ["a", "added by handler"] }])
      expect(sent).toEqual({ tags: ["a"], isAdmin: true })
    })))

  it.scoped("response drops undeclared fields", () =>
    withBus(Effect.gen(function*() {
      yield* Bus.handle(Guarded, () => Effect.succeed({ id: "1", passwordHash: "secret" }))
      expect(yield* Bus.request(Guarded, { tags: [] })).toEqual({ id: "1" })
    })))

  it.scoped("conflicting subject definitions are rejected", () =>
    withBus(Effect.gen(function*() {
      const ById = Subject.request("users:get", { request: Schema.Struct({ id: Schema.Number }), response: Schema.String })
      const ByEmail = Subject.request("users:get", { request: Schema.Struct({ email: Schema.String }), response: Schema.String })
      yield* Bus.handle(ById, ({ payload }) => Effect.succeed(payload.id.toFixed(0)))

      const requestError = yield* Effect.flip(Bus.request(ByEmail, { email: "a@b.c" }))
      expect(requestError).toBeInstanceOf(SubjectConflictError)

      const registration = yield* Effect.exit(Bus.handle(ByEmail, () => Effect.succeed("x")))
      expect(registration._tag).toBe("Failure")
      expect(JSON.stringify(registration)).toContain("SubjectConflictError")

      const EventNamed = Subject.event("users:get", Schema.String)
      const subscription = yield* Effect.exit(Bus.subscribe(EventNamed, () => Effect.void))
      expect(subscription._tag).toBe("Failure")
    })))

  it.scoped("identical definitions share a chain", () =>
    withBus(Effect.gen(function*() {
      const First = Subject.request("users:count", { request: Schema.Struct({}), response: Schema.Number })
      const Second = Subject.request("users:count", { request: Schema.Struct({}), response: Schema.Number })
      yield* Bus.handle(First, () => Effect.succeed(3))
      expect(yield* Bus.request(Second, {})).toBe(3)
    })))

  it.scoped("NaN priority is rejected", () =>
    withBus(Effect.gen(function*() {
      const exit = yield* Effect.exit(Bus.handle(Ping, () => Effect.succeed("pong" as const), { priority: Number.NaN }))
      expect(defectMessage(exit)).toContain("Invalid handler priority NaN")
    })))

  for (const timeout of [-1_000, 0, Number.NaN, "5 secs"] as const) {
    it.scoped(`invalid timeout ${String(timeout)} is rejected`, () =>
      withBus(Effect.gen(function*() {
        yield* Bus.handle(Ping, () => Effect.succeed("pong" as const))
        const exit = yield* Effect.exit(Bus.request(Ping, {}, { timeout: timeout as never }))
        expect(defectMessage(exit)).toContain("Invalid timeout")
      })))
  }

  it("invalid bus timeout fails the layer", () => {
    expect(() => Bus.make({ timeout: -5 })).toThrow(/Invalid timeout -5/)
  })

  it.scoped("deep nested timed requests", () =>
    withBus(Effect.gen(function*() {
      yield* Bus.handle(Count, ({ payload }) => (payload === 0 ? Effect.succeed(0) : Effect.map(Bus.request(Count, payload - 1), (n) => n + 1)))
      expect(yield* Bus.request(Count, 1_000)).toBe(1_000)
    })))

  it.scopedLive("pending counts until the handler ends", () =>
    withBus(Effect.gen(function*() {
      const release = yield* Deferred.make<void>()
      const finished = yield* Deferred.make<void>()
      yield* Bus.handle(Ping, () =>
        Effect.uninterruptible(Deferred.await(release)).pipe(
          Effect.ensuring(Deferred.succeed(finished, undefined)),
          Effect.as("pong" as const)
        ))

      const caller = yield* Effect.fork(Effect.either(Bus.request(Ping, {}, { timeout: "20 millis" })))
      yield* Effect.sleep("60 millis")
      expect((yield* Bus.describe).pendingRequests).toBe(1)

      yield* Deferred.succeed(release, undefined)
      const result = yield* Fiber.join(caller)
      yield* Deferred.await(finished)
      expect(Either.isLeft(result)).toBe(true)
      expect(Either.getLeft(result).pipe(Option.map((error) => error._tag), Option.getOrUndefined)).toBe("RequestTimeoutError")
      expect((yield* Bus.describe).pendingRequests).toBe(0)
    })))

  it.scoped("timed failures log nothing", () => {
    const lines: Array<string> = []
    const logger = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void lines.push(String(message))))
    return withBus(Effect.gen(function*() {
      yield* Bus.handle(Guarded, () => Effect.fail(new Declared()))
      yield* Effect.either(Bus.request(Guarded, { tags: [] }, { timeout: "1 second" }))
      expect(lines).toEqual([])
    })).pipe(Effect.provide(logger), Logger.withMinimumLogLevel(LogLevel.Debug))
  })

  it.scoped("hanging subscriber times out", () => {
    const logged: Array<unknown> = []
    const logger = Logger.replace(Logger.defaultLogger, Logger.make(({ annotations }) => void logged.push(Object.fromEntries(annotations))))
    return withBus(Effect.gen(function*() {
      let after = 0
      yield* Bus.subscribe(Happened, () => Effect.never, { label: "stuck" })
      yield* Bus.subscribe(Happened, () => Effect.sync(() => after++), { label: "after", synchronous: true })

      const emitting = yield* Effect.fork(Bus.emit(Happened, { id: 1 }))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(emitting)

      expect(after).toBe(1)
      expect(logged).toEqual([{ subject: "test:happened", subscriber: "stuck" }])
    }), { timeout: "1 second" }).pipe(Effect.provide(logger))
  })

  it.scoped("deep payload fails cleanly", () =>
    withBus(Effect.gen(function*() {
      yield* Bus.handle(Trace, ({ payload }) => Effect.succeed({ trace: [payload.value] }))
      let deep: Record<string, unknown> = {}
      for (let level = 0; level < 20_000; level++) deep = { inner: deep }

      const error = yield* Effect.flip(Bus.request(Trace, { value: deep } as never))

      expect(error._tag).toBe("InvalidPayloadError")
      expect(error.message.length).toBeLessThan(2_000)
    })))

  it.scoped("undefined rejection is described", () =>
    withBus(Effect.gen(function*() {
      yield* Bus.handle(Ping, () => Effect.die(undefined))
      const error = yield* Effect.flip(Bus.request(Ping, {}))
      expect(error.message).toBe("A handler of \"test:ping\" failed unexpectedly with undefined")
    })))

  it("subject names may have dots", () => {
    expect(Subject.request("session.get", { request: Schema.Void, response: Schema.Void }).name).toBe("session.get")
    expect(Subject.request("storage.v2:session.get", { request: Schema.Void, response: Schema.Void }).name).toBe("storage.v2:session.get")
    expect(() => Subject.request("a:b:c", { request: Schema.Void, response: Schema.Void })).toThrow(/at most one ":"/)
  })

  it.scoped("trace subject still works", () =>
    withBus(Effect.gen(function*() {
      yield* Bus.handle(Trace, ({ payload }) => Effect.succeed({ trace: [payload.value] }))
      expect((yield* Bus.request(Trace, { value: "ok" })).trace).toEqual(["ok"])
    })))
})
