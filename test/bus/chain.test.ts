import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, FastCheck, Scope } from "effect"
import { Bus } from "../../src/index.js"
import { recordAndPass, Trace, withBus } from "./fixtures.js"

/** Registers a pass-through handler in its own scope, so a test can remove it alone. */
const registerInOwnScope = (label: string, priority: number, seen: Array<string>) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    yield* Scope.extend(Bus.handle(Trace, recordAndPass(label, seen), { priority, label }), scope)
    return scope
  })

/** Registers the bottom handler that answers with the labels seen so far. */
const answerWithTrace = (seen: Array<string>) =>
  Bus.handle(Trace, () => Effect.sync(() => ({ trace: seen.splice(0) })), { priority: -1_000, label: "bottom" })

const chainLabels = Effect.map(Bus.describe, (description) =>
  description.subjects.find((subject) => subject.name === Trace.name)?.handlers.map((handler) => handler.label) ?? [])

describe("Bus chain", () => {
  it.scoped("orders by priority, then registration", () =>
    withBus(Effect.gen(function*() {
      const seen: Array<string> = []
      yield* answerWithTrace(seen)
      yield* Bus.handle(Trace, recordAndPass("zero-a", seen), { priority: 0, label: "zero-a" })
      yield* Bus.handle(Trace, recordAndPass("ten", seen), { priority: 10, label: "ten" })
      yield* Bus.handle(Trace, recordAndPass("zero-b", seen), { priority: 0, label: "zero-b" })
      yield* Bus.handle(Trace, recordAndPass("five", seen), { priority: 5, label: "five" })

      const result = yield* Bus.request(Trace, { value: "x" })
      expect(result.trace).toEqual(["ten", "five", "zero-a", "zero-b"])
    })))

  it.scoped("keeps order after churn", () =>
    withBus(Effect.gen(function*() {
      const seen: Array<string> = []
      yield* answerWithTrace(seen)
      yield* registerInOwnScope("zero-a", 0, seen)
      yield* registerInOwnScope("ten", 10, seen)
      yield* registerInOwnScope("zero-b", 0, seen)
      yield* registerInOwnScope("five", 5, seen)

      const extraScopes: Array<Scope.CloseableScope> = []
      for (let index = 0; index < 200; index++) {
        extraScopes.push(yield* registerInOwnScope(`extra-${index}`, 0, seen))
      }
      yield* Scope.close(extraScopes[100]!, Exit.void)

      const expected = ["ten", "five", "zero-a", "zero-b"]
      for (let index = 0; index < 200; index++) {
        if (index !== 100) expected.push(`extra-${index}`)
      }
      const result = yield* Bus.request(Trace, { value: "x" })
      expect(result.trace).toEqual(expected)
      expect(yield* chainLabels).toEqual([...expected, "bottom"])
    })))

  it.scoped("next with a replaced payload", () =>
    withBus(Effect.gen(function*() {
      yield* Bus.handle(Trace, ({ payload }) => Effect.succeed({ trace: [payload.value] }))
      yield* Bus.handle(Trace, ({ next, payload }) => next({ value: `${payload.value}+replaced` }), { priority: 1 })

      const result = yield* Bus.request(Trace, { value: "original" })
      expect(result.trace).toEqual(["original+replaced"])
    })))

  it.scoped("after-logic transforms the downstream result", () =>
    withBus(Effect.gen(function*() {
      yield* Bus.handle(Trace, ({ payload }) => Effect.succeed({ trace: [payload.value] }))
      yield* Bus.handle(
        Trace,
        ({ next }) => Effect.map(next(), (result) => ({ trace: [...result.trace, "after"] })),
        { priority: 1 }
      )

      const result = yield* Bus.request(Trace, { value: "below" })
      expect(result.trace).toEqual(["below", "after"])
    })))

  it.scoped("answer without next stops chain", () =>
    withBus(Effect.gen(function*() {
      let lowerCalls = 0
      yield* Bus.handle(Trace, () => Effect.sync(() => {
        lowerCalls++
        return { trace: ["lower"] }
      }))
      yield* Bus.handle(Trace, () => Effect.succeed({ trace: ["upper"] }), { priority: 1 })

      const result = yield* Bus.request(Trace, { value: "x" })
      expect(result.trace).toEqual(["upper"])
      expect(lowerCalls).toBe(0)
    })))

  it.scoped("next builds without running", () =>
    withBus(Effect.gen(function*() {
      let lowerBuilt = 0
      let lowerRan = 0
      yield* Bus.handle(Trace, () => {
        lowerBuilt++
        return Effect.sync(() => {
          lowerRan++
          return { trace: ["lower"] }
        })
      })
      yield* Bus.handle(Trace, ({ next }) => {
        const unused = next()
        void unused
        return Effect.succeed({ trace: ["upper"] })
      }, { priority: 1 })

      expect((yield* Bus.request(Trace, { value: "x" })).trace).toEqual(["upper"])
      expect(lowerBuilt).toBe(1)
      expect(lowerRan).toBe(0)
    })))

  it.scoped("no handler registered", () =>
    withBus(Effect.gen(function*() {
      const error = yield* Effect.flip(Bus.request(Trace, { value: "x" }))
      expect(error._tag).toBe("NoHandlerError")
      expect(error).toMatchObject({ subject: "test:trace" })
    })))

  it.scoped("last handler calls next", () =>
    withBus(Effect.gen(function*() {
      const seen: Array<string> = []
      yield* Bus.handle(Trace, recordAndPass("only", seen))

      const error = yield* Effect.flip(Bus.request(Trace, { value: "x" }))
      expect(error._tag).toBe("NoHandlerError")
      expect(seen).toEqual(["only"])
    })))

  it.scoped("closed scope removes handler", () =>
    withBus(Effect.gen(function*() {
      const scope = yield* Scope.make()
      yield* Scope.extend(Bus.handle(Trace, () => Effect.succeed({ trace: ["answer"] })), scope)
      expect((yield* Bus.request(Trace, { value: "x" })).trace).toEqual(["answer"])

      yield* Scope.close(scope, Exit.void)
      const error = yield* Effect.flip(Bus.request(Trace, { value: "x" }))
      expect(error._tag).toBe("NoHandlerError")
      expect(yield* chainLabels).toEqual([])
    })))

  type Operation = { readonly kind: "add"; readonly priority: number } | { readonly kind: "remove"; readonly pick: number }
  const operation: FastCheck.Arbitrary<Operation> = FastCheck.oneof(
    FastCheck.record({ kind: FastCheck.constant("add" as const), priority: FastCheck.integer({ min: -3, max: 3 }) }),
    FastCheck.record({ kind: FastCheck.constant("remove" as const), pick: FastCheck.nat() })
  )

  it.effect.prop(
    "order equals stable priority sort",
    [FastCheck.array(operation, { maxLength: 60 })],
    ([operations]) =>
      withBus(Effect.scoped(Effect.gen(function*() {
        const seen: Array<string> = []
        yield* answerWithTrace(seen)
        const live: Array<{ label: string; priority: number; scope: Scope.CloseableScope }> = []

        for (const [index, step] of operations.entries()) {
          if (step.kind === "add") {
            const label = `h${index}`
            live.push({ label, priority: step.priority, scope: yield* registerInOwnScope(label, step.priority, seen) })
          } else if (live.length > 0) {
            const [removed] = live.splice(step.pick % live.length, 1)
            yield* Scope.close(removed!.scope, Exit.void)
          }
        }

        // Array.prototype.sort is stable, so equal priorities keep registration order.
        const expected = [...live].sort((left, right) => right.priority - left.priority).map((entry) => entry.label)
        const result = yield* Bus.request(Trace, { value: "x" })
        expect(result.trace).toEqual(expected)
      })))
  )
})
