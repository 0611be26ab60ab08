import { AsyncLocalStorage } from "node:async_hooks"
import { Cause, Effect, ExecutionStrategy, Exit, Runtime, Scope } from "effect"
import { Bus, type HandleOptions, type RequestOptions, type SubscribeOptions } from "./Bus.js"
import type { EventSubject, RequestSubject } from "./Subject.js"

/** The context of a Promise-based handler; `next` resolves to the result of the handlers below it. */
export interface PromiseHandlerContext<S extends RequestSubject.Any> {
  readonly subject: S
  readonly payload: RequestSubject.Payload<S>
  readonly deadline: number | undefined
  readonly next: (payload?: RequestSubject.Payload<S>) => Promise<RequestSubject.Response<S>>
}

/**
 * The bus for code that does not use Effect, such as extensions registered
 * with a `registerHandlers` callback. It is the same bus: requests, handlers
 * and events mix freely with Effect code. A failed request rejects with the
 * error itself (a declared failure or a bus error).
 */
export interface PromiseBus {
  readonly request: <S extends RequestSubject.Any>(
    subject: S,
    payload: RequestSubject.Payload<S>,
    options?: RequestOptions
  ) => Promise<RequestSubject.Response<S>>

  /**
   * Registers a handler and returns the function that removes it. The handler
   * returns or resolves to the result. It may throw or reject with one of the
   * subject's declared failures, and anything else becomes a `HandlerDefectError`.
   */
  readonly on: <S extends RequestSubject.Any>(
    subject: S,
    handler: (context: PromiseHandlerContext<S>) => RequestSubject.Response<S> | Promise<RequestSubject.Response<S>>,
    options?: HandleOptions
  ) => () => void

  readonly emit: <S extends EventSubject.Any>(subject: S, payload: EventSubject.Payload<S>) => Promise<void>

  /** Subscribes to an event and returns the function that unsubscribes. */
  readonly subscribe: <S extends EventSubject.Any>(
    subject: S,
    subscriber: (payload: EventSubject.Payload<S>) => void | Promise<void>,
    options?: SubscribeOptions
  ) => () => void
}

/**
 * The Effect runtime of the Promise handler running now, kept across `await`.
 * Database access for Promise code reads it, so queries a handler makes run
 * with its request's context (and join a transaction the caller opened).
 */
export const currentRuntime = new AsyncLocalStorage<Runtime.Runtime<never>>()

/** Runs an effect to a Promise that rejects with the failure itself rather than a wrapper. */
const toPromise = <A, E>(runtime: Runtime.Runtime<never>, effect: Effect.Effect<A, E>): Promise<A> =>
  Runtime.runPromiseExit(runtime)(effect).then((exit) => {
    if (Exit.isSuccess(exit)) return exit.value
    throw Cause.squash(exit.cause)
  })

/** Builds the Promise facade of a bus; registrations stay until removed or until `scope` closes. */
export const make = (runtime: Runtime.Runtime<Bus>, scope: Scope.Scope): PromiseBus => {
  const bus = Runtime.runSync(runtime)(Bus)

  /** Registers in a scope of its own, closed by the returned function or with `scope`. */
  const registerScoped = (registration: Effect.Effect<void, never, Scope.Scope>): (() => void) => {
    const own = Runtime.runSync(runtime)(Scope.fork(scope, ExecutionStrategy.sequential))
    Runtime.runSync(runtime)(Scope.extend(registration, own))
    let removed = false
    return () => {
      if (removed) return
      removed = true
      Runtime.runSync(runtime)(Scope.close(own, Exit.void))
    }
  }

  return {
    // Called from a handler, a request runs with that handler's runtime, so it joins its caller's transaction.
    request: (subject, payload, options) => toPromise(currentRuntime.getStore() ?? runtime, bus.request(subject, payload, options)),
    on: (subject, handler, options) =>
      registerScoped(bus.handle(subject, (context) =>
        Effect.flatMap(Effect.runtime<never>(), (current) =>
          Effect.tryPromise({
            try: async () =>
              currentRuntime.run(current, () =>
                handler({
                  subject: context.subject,
                  payload: context.payload,
                  deadline: context.deadline,
                  next: (payload) => toPromise(current, context.next(payload))
                })),
            catch: (error) => error as RequestSubject.Failure<typeof subject>
          })), options)),
    emit: (subject, payload) => toPromise(currentRuntime.getStore() ?? runtime, bus.emit(subject, payload)),
    subscribe: (subject, subscriber, options) =>
      registerScoped(bus.subscribe(subject, (payload) =>
        Effect.flatMap(Effect.runtime<never>(), (current) =>
          Effect.tryPromise({ try: async () => currentRuntime.run(current, () => subscriber(payload)), catch: (error) => error })), options))
  }
}
