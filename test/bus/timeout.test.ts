import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Either, Fiber, Ref, TestClock } from "effect"
import { Bus, RequestTimeoutError } from "../../src/index.js"
import { Ping, withBus } from "./fixtures.js"

describe("Bus timeouts", () => {
  it.scopedLive("1,000 hanging requests time out", () =>
    withBus(Effect.gen(function*() {
      let started = 0
      let finalized = 0
      yield* Bus.handle(Ping, () =>
        Effect.sync(() => started++).pipe(
          Effect.zipRight(Effect.never),
          Effect.onInterrupt(() => Effect.sync(() => finalized++))
        ))

      const results = yield* Effect.all(
        Array.from({ length: 1_000 }, () => Effect.either(Bus.request(Ping, {}, { timeout: "50 millis" }))),
        { concurrency: "unbounded" }
      )

      const timeouts = results.filter((result) => Either.isLeft(result) && result.left._tag === "RequestTimeoutError")
      expect(timeouts).toHaveLength(1_000)
      expect(started).toBe(1_000)
      expect(finalized).toBe(1_000)
      expect((yield* Bus.describe).pendingRequests).toBe(0)
    })))

  it.scoped("timeout error names subject", () =>
    withBus(Effect.gen(function*() {
      yield* Bus.handle(Ping, () => Effect.never)

      const fiber = yield* Effect.fork(Effect.flip(Bus.request(Ping, {}, { timeout: "2 seconds" })))
      yield* TestClock.adjust("2 seconds")
      const error = yield* Fiber.join(fiber)

      expect(error).toBeInstanceOf(RequestTimeoutError)
      expect(error).toMatchObject({ subject: "test:ping" })
      expect(error._tag === "RequestTimeoutError" && error.message).toContain("2s")
    })))

  it.scoped("bus default timeout applies", () =>
    withBus(Effect.gen(function*() {
      yield* Bus.handle(Ping, () => Effect.never)

      const fiber = yield* Effect.fork(Effect.flip(Bus.request(Ping, {})))
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(fiber)

      expect(error._tag).toBe("RequestTimeoutError")
    }), { timeout: "1 second" }))

  it.scoped("timeout none waits indefinitely", () =>
    withBus(Effect.gen(function*() {
      const release = yield* Deferred.make<void>()
      yield* Bus.handle(Ping, () => Effect.as(Deferred.await(release), "pong" as const))

      const fiber = yield* Effect.fork(Bus.request(Ping, {}, { timeout: "none" }))
      yield* TestClock.adjust("10 seconds")
      yield* Deferred.succeed(release, undefined)

      expect(yield* Fiber.join(fiber)).toBe("pong")
    }), { timeout: "1 second" }))

  it.scoped("answer within timeout", () =>
    withBus(Effect.gen(function*() {
      yield* Bus.handle(Ping, () => Effect.as(Effect.sleep("1 second"), "pong" as const))

      const fiber = yield* Effect.fork(Bus.request(Ping, {}, { timeout: "5 seconds" }))
      yield* TestClock.adjust("1 second")

      expect(yield* Fiber.join(fiber)).toBe("pong")
      expect((yield* Bus.describe).pendingRequests).toBe(0)
    })))

  it.scoped("context carries the deadline", () =>
    withBus(Effect.gen(function*() {
      const deadlines: Array<number | undefined> = []
      yield* Bus.handle(Ping, ({ deadline }) => Effect.sync(() => {
        deadlines.push(deadline)
        return "pong" as const
      }))

      yield* TestClock.setTime(1_000)
      yield* Bus.request(Ping, {}, { timeout: "3 seconds" })
      yield* Bus.request(Ping, {}, { timeout: "none" })

      expect(deadlines).toEqual([4_000, undefined])
    })))

  for (const timeout of ["none", "5 seconds"] as const) {
    it.scoped(`caller interrupt stops handler (timeout ${timeout})`, () =>
      withBus(Effect.gen(function*() {
        const entered = yield* Deferred.make<void>()
        const interrupted = yield* Ref.make(false)
        yield* Bus.handle(Ping, () =>
          Deferred.succeed(entered, undefined).pipe(
            Effect.zipRight(Effect.never),
            Effect.onInterrupt(() => Ref.set(interrupted, true))
          ))

        const caller = yield* Effect.fork(Bus.request(Ping, {}, { timeout }))
        yield* Deferred.await(entered)
        yield* Fiber.interrupt(caller)

        expect(yield* Ref.get(interrupted)).toBe(true)
        expect((yield* Bus.describe).pendingRequests).toBe(0)
      })))
  }

  it.scoped("synchronous chain runs inline", () =>
    withBus(Effect.gen(function*() {
      const callerFiber = yield* Effect.fiberId
      const handlerFibers: Array<unknown> = []
      yield* Bus.handle(Ping, () => Effect.map(Effect.fiberId, (id) => {
        handlerFibers.push(id)
        return "pong" as const
      }), { synchronous: true })

      yield* Bus.request(Ping, {}, { timeout: "1 second" })
      expect(handlerFibers).toEqual([callerFiber])
    })))
})
