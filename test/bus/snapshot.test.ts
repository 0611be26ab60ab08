import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Scope } from "effect"
import { Bus } from "../../src/index.js"
import { Happened, Trace, withBus } from "./fixtures.js"

describe("Bus snapshots", () => {
  it.scoped("handler added mid-request", () =>
    withBus(Effect.gen(function*() {
      const entered = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      let gateCalls = 0
      yield* Bus.handle(Trace, () => Effect.succeed({ trace: ["old"] }))
      yield* Bus.handle(Trace, ({ next }) =>
        Effect.gen(function*() {
          gateCalls++
          if (gateCalls === 1) {
            yield* Deferred.succeed(entered, undefined)
            yield* Deferred.await(release)
          }
          return yield* next()
        }), { priority: 10 })

      const inFlight = yield* Effect.fork(Bus.request(Trace, { value: "x" }))
      yield* Deferred.await(entered)
      yield* Bus.handle(Trace, () => Effect.succeed({ trace: ["new"] }), { priority: 5 })
      yield* Deferred.succeed(release, undefined)

      expect((yield* Fiber.join(inFlight)).trace).toEqual(["old"])
      expect((yield* Bus.request(Trace, { value: "x" })).trace).toEqual(["new"])
    })))

  it.scoped("handler removed mid-request", () =>
    withBus(Effect.gen(function*() {
      const entered = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const answerScope = yield* Scope.make()
      yield* Bus.handle(Trace, () => Effect.succeed({ trace: ["fallback"] }), { priority: -1 })
      yield* Scope.extend(Bus.handle(Trace, () => Effect.succeed({ trace: ["removed"] })), answerScope)
      yield* Bus.handle(Trace, ({ next }) =>
        Effect.gen(function*() {
          if (!(yield* Deferred.isDone(entered))) {
            yield* Deferred.succeed(entered, undefined)
            yield* Deferred.await(release)
          }
          return yield* next()
        }), { priority: 10 })

      const inFlight = yield* Effect.fork(Bus.request(Trace, { value: "x" }))
      yield* Deferred.await(entered)
      yield* Scope.close(answerScope, Exit.void)
      yield* Deferred.succeed(release, undefined)

      expect((yield* Fiber.join(inFlight)).trace).toEqual(["removed"])
      expect((yield* Bus.request(Trace, { value: "x" })).trace).toEqual(["fallback"])
    })))

  it.scoped("subscribers changed mid-emit", () =>
    withBus(Effect.gen(function*() {
      const calls: Array<string> = []
      const subscriberScope = yield* Scope.make()
      const bScope = yield* Scope.make()
      let changed = false

      const record = (label: string) => () => Effect.sync(() => void calls.push(label))
      yield* Scope.extend(Bus.subscribe(Happened, () =>
        Effect.gen(function*() {
          calls.push("A")
          if (changed) return
          changed = true
          yield* Scope.close(bScope, Exit.void)
          yield* Scope.extend(Bus.subscribe(Happened, record("D")), subscriberScope)
        })), subscriberScope)
      yield* Scope.extend(Bus.subscribe(Happened, record("B")), bScope)
      yield* Scope.extend(Bus.subscribe(Happened, record("C")), subscriberScope)

      yield* Bus.emit(Happened, { id: 1 })
      expect(calls.splice(0)).toEqual(["A", "B", "C"])

      yield* Bus.emit(Happened, { id: 2 })
      expect(calls).toEqual(["A", "C", "D"])
      yield* Scope.close(subscriberScope, Exit.void)
    })))
})
