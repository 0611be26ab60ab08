import type { Effect } from "effect"
import type { RequestError } from "./BusError.js"
import type { RequestSubject } from "./Subject.js"

/**
 * What a request handler receives. A handler ends the chain by returning its result,
 * which ends the chain, or calls `next` to get the result of the handlers
 * below it and then returns, transforms or acts on that result.
 */
export interface HandlerContext<S extends RequestSubject.Any> {
  readonly subject: S

  /** The payload, already checked against the subject's request schema unless validation is off. */
  readonly payload: RequestSubject.Payload<S>

  /**
   * The time (epoch milliseconds, from Effect's `Clock`) by which the request
   * must complete, or `undefined` when it has no timeout. Pass it on when the
   * handler calls something slower.
   */
  readonly deadline: number | undefined

  /**
   * Returns the Effect of the rest of the chain, with this payload or a
   * replacement: running it gives the lower handlers' result. Calling `next`
   * calls the next handler's function at once (building its Effect costs
   * little), so a handler that may not need the result, such as a cache,
   * calls it only when it does. The Effect fails with `NoHandlerError` when
   * no handler is left, or with what a lower handler failed with.
   */
  readonly next: (
    payload?: RequestSubject.Payload<S>
  ) => Effect.Effect<RequestSubject.Response<S>, RequestSubject.Failure<S> | RequestError>
}

/**
 * A request handler. It may fail with the subject's declared failures or with
 * a bus error: what `next` or a nested request failed with, or
 * `InvalidPayloadError` for a payload it cannot serve. Any other failure is a
 * defect.
 */
export type Handler<S extends RequestSubject.Any, R = never> = (
  context: HandlerContext<S>
) => Effect.Effect<RequestSubject.Response<S>, RequestSubject.Failure<S> | RequestError, R>
