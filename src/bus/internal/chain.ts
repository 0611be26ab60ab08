import { Clock, Context, Effect } from "effect"
import { NoHandlerError } from "../BusError.js"
import type { HandlerContext } from "../HandlerContext.js"
import type { RequestSubject } from "../Subject.js"

/** One registered handler: where it sits in its chain and how to run it. */
export interface Registration {
  readonly id: number
  readonly priority: number
  readonly label: string
  readonly extension: string | undefined
  readonly synchronous: boolean
  readonly run: Runner<Step, unknown>
}

/** A chain is an immutable array, replaced as a whole when a handler comes or goes. */
export type Chain = ReadonlyArray<Registration>

/**
 * Returns a new chain with `registration` placed after every handler of equal
 * or higher priority, so equal priorities keep registration order.
 */
export const insert = (chain: Chain, registration: Registration): Chain => {
  let low = 0
  let high = chain.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (chain[middle]!.priority >= registration.priority) {
      low = middle + 1
    } else {
      high = middle
    }
  }
  return [...chain.slice(0, low), registration, ...chain.slice(low)]
}

/** Returns a new chain without `registration`; the others keep their order. */
export const remove = (chain: Chain, registration: Registration): Chain =>
  chain.filter((candidate) => candidate !== registration)

/**
 * The state every handler of one request shares: the caller's context, the chain
 * snapshot, and the deadline, computed on first use from the caller's
 * `Clock` (most handlers never read it).
 */
export class RequestState {
  #deadline: number | undefined | null = null

  constructor(
    readonly caller: Context.Context<never>,
    readonly subject: RequestSubject.Any,
    readonly chain: Chain,
    readonly timeoutMillis: number | undefined,
    readonly defaultServices: Context.Context<never>,
    deadline?: number
  ) {
    if (deadline !== undefined) this.#deadline = deadline
  }

  get deadline(): number | undefined {
    if (this.#deadline === null) {
      this.#deadline = this.timeoutMillis === undefined
        ? undefined
        : Context.get(this.defaultServices as Context.Context<Clock.Clock>, Clock.Clock).unsafeCurrentTimeMillis() + this.timeoutMillis
    }
    return this.#deadline
  }
}

/**
 * The context handed to one handler of one request. `next` is created on first
 * access, so a handler that returns a result directly allocates nothing for it.
 */
export class Step implements HandlerContext<RequestSubject.Any> {
  #next: HandlerContext<RequestSubject.Any>["next"] | undefined

  constructor(
    readonly request: RequestState,
    readonly payload: unknown,
    readonly index: number
  ) {}

  get caller(): Context.Context<never> {
    return this.request.caller
  }

  get subject(): RequestSubject.Any {
    return this.request.subject
  }

  get deadline(): number | undefined {
    return this.request.deadline
  }

  get next(): HandlerContext<RequestSubject.Any>["next"] {
    if (this.#next === undefined) {
      // Calls the lower handler's function now and returns its Effect, which does its work only when run.
      this.#next = (payload) => runStep(this.request, this.index + 1, payload === undefined ? this.payload : payload)
    }
    return this.#next
  }
}

/** Starts a chain: runs its first handler. */
export const runChain = (request: RequestState, payload: unknown): Effect.Effect<any, any> =>
  request.chain[0]!.run(new Step(request, payload, 0))

/** Runs the handler at `index` (what `next` does), or fails when the chain is exhausted. */
const runStep = (request: RequestState, index: number, payload: unknown): Effect.Effect<any, any> => {
  const registration = request.chain[index]
  if (registration === undefined) {
    return Effect.fail(new NoHandlerError({ subject: request.subject.name }))
  }
  return registration.run(new Step(request, payload, index))
}

/**
 * A registered function (handler or subscriber) bound to the services captured
 * when it was registered. `input.caller` is the context of the request's
 * caller.
 */
export type Runner<A extends { readonly caller: Context.Context<never> }, B> = (input: A) => Effect.Effect<B, unknown>

/**
 * Binds `f` to the services captured at registration. When the caller already
 * has every captured service, `f` runs as it is, in whatever context its
 * fiber has (so a service an upper handler provided around `next` is seen);
 * this answer is cached per caller context, which stays the same object across
 * the requests of a fiber. Otherwise `f` runs with the fiber's current
 * services plus the captured ones, and a captured service wins over a caller's
 * service of the same tag, so a caller cannot replace a handler's dependencies.
 */
export const makeRunner = <A extends { readonly caller: Context.Context<never> }, B>(
  captured: Context.Context<never>,
  f: (input: A) => Effect.Effect<B, unknown, unknown>
): Runner<A, B> => {
  let lastCaller: Context.Context<never> | undefined
  let callerHasAll = false

  let lastCurrent: Context.Context<never> | undefined
  let lastMerged: Context.Context<never> = captured
  const mergedWith = (current: Context.Context<never>) => {
    if (current !== lastCurrent) {
      lastCurrent = current
      lastMerged = Context.merge(current, captured)
    }
    return lastMerged
  }

  return (input) => {
    if (input.caller !== lastCaller) {
      lastCaller = input.caller
      callerHasAll = containsAll(input.caller, captured)
    }
    if (callerHasAll) {
      return call(f, input)
    }
    return Effect.contextWithEffect((current: Context.Context<never>) =>
      Effect.provide(call(f, input), mergedWith(current)))
  }
}

const containsAll = (outer: Context.Context<never>, inner: Context.Context<never>): boolean => {
  for (const [key, service] of inner.unsafeMap) {
    if (outer.unsafeMap.get(key) !== service) return false
  }
  return true
}

/** Calls a registered function; one that throws instead of returning an Effect yields a defect. */
const call = <A, B>(f: (input: A) => Effect.Effect<B, unknown, unknown>, input: A): Effect.Effect<B, unknown> => {
  try {
    return f(input) as Effect.Effect<B, unknown>
  } catch (error) {
    return Effect.die(error)
  }
}

