import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import { Bus } from "../../src/index.js"
import { Ping, Trace, withBus } from "./fixtures.js"

class Greeter extends Context.Tag("test/Greeter")<Greeter, { readonly prefix: string }>() {}
class RequestScope extends Context.Tag("test/RequestScope")<RequestScope, { readonly id: string }>() {}

const readRequestScope = Effect.map(Effect.serviceOption(RequestScope), (scope) => ({
  trace: [scope._tag === "Some" ? scope.value.id : "none"]
}))

describe("Bus services", () => {
  it.scoped("handler keeps registration services", () =>
    withBus(Effect.gen(function*() {
      yield* Bus.handle(Trace, ({ payload }) => Effect.map(Greeter, (greeter) => ({ trace: [greeter.prefix + payload.value] }))).pipe(
        Effect.provideService(Greeter, { prefix: "hello " })
      )

      // The caller's environment has no Greeter.
      const result = yield* Bus.request(Trace, { value: "ada" })
      expect(result.trace).toEqual(["hello ada"])
    })))

  it.scoped("handler Layer captures services", () =>
    Effect.gen(function*() {
      const result = yield* Bus.request(Trace, { value: "ada" })
      expect(result.trace).toEqual(["hi ada"])
    }).pipe(
      Effect.provide(
        Bus.handler(Trace, ({ payload }) => Effect.map(Greeter, (greeter) => ({ trace: [greeter.prefix + payload.value] }))).pipe(
          Layer.provide(Layer.succeed(Greeter, { prefix: "hi " })),
          Layer.provideMerge(Bus.layer())
        )
      )
    ))

  for (const timeout of ["none", "5 seconds"] as const) {
    it.scoped(`caller service reaches handlers (timeout ${timeout})`, () =>
      withBus(Effect.gen(function*() {
        yield* Bus.handle(Trace, () => readRequestScope)
        yield* Bus.handle(Trace, ({ next }) =>
          Effect.map(Effect.zip(readRequestScope, next()), ([upper, lower]) => ({
            trace: [...upper.trace, ...lower.trace]
          })), { priority: 1 })

        const result = yield* Bus.request(Trace, { value: "x" }, { timeout }).pipe(
          Effect.provideService(RequestScope, { id: "caller" })
        )
        expect(result.trace).toEqual(["caller", "caller"])
      })))
  }

  it.scoped("upper handler service reaches next", () =>
    withBus(Effect.gen(function*() {
      yield* Bus.handle(Trace, () => readRequestScope)
      yield* Bus.handle(Trace, ({ next }) => next().pipe(Effect.provideService(RequestScope, { id: "upper" })), { priority: 1 })

      const result = yield* Bus.request(Trace, { value: "x" }).pipe(Effect.provideService(RequestScope, { id: "caller" }))
      expect(result.trace).toEqual(["upper"])
    })))

  it.scoped("registration service wins", () =>
    withBus(Effect.gen(function*() {
      yield* Bus.handle(Trace, () => readRequestScope).pipe(Effect.provideService(RequestScope, { id: "registration" }))

      const fromCaller = yield* Bus.request(Trace, { value: "x" }).pipe(Effect.provideService(RequestScope, { id: "caller" }))
      const withoutCaller = yield* Bus.request(Trace, { value: "x" })

      expect(fromCaller.trace).toEqual(["registration"])
      expect(withoutCaller.trace).toEqual(["registration"])
    })))

  it.effect("registration scope is not captured", () =>
    withBus(Effect.gen(function*() {
      const registrationScope = yield* Scope.make()
      yield* Scope.extend(
        Bus.handle(Trace, () => Effect.map(Effect.serviceOption(Scope.Scope), (scope) => ({ trace: [scope._tag] }))),
        registrationScope
      )

      // This test's fiber has no Scope, so the handler must not find one.
      const result = yield* Bus.request(Trace, { value: "x" })
      expect(result.trace).toEqual(["None"])
      yield* Scope.close(registrationScope, Exit.void)
    })))

  it.scoped("describe lists the chain", () =>
    withBus(Effect.gen(function*() {
      yield* Bus.handle(Ping, () => Effect.succeed("pong" as const), { label: "answer" })
      yield* Bus.handle(Ping, ({ next }) => next(), { priority: 5, label: "audit" }).pipe(
        Effect.locally(Bus.currentExtension, "auditing")
      )

      const description = yield* Bus.describe
      expect(description.subjects).toEqual([{
        name: "test:ping",
        kind: "request",
        handlers: [
          { priority: 5, label: "audit", extension: "auditing" },
          { priority: 0, label: "answer", extension: undefined }
        ],
        subscribers: []
      }])
    })))
})
