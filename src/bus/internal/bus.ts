import { Cause, Duration, Effect, FiberRef, type Schema, type Scope } from "effect"
import type { BusOptions, BusService, HandleOptions, Namespace, SubjectDescription, SubscribeOptions } from "../Bus.js"
import {
  HandlerDefectError,
  InvalidPayloadError,
  InvalidResponseError,
  NamespaceConflictError,
  NoHandlerError
} from "../BusError.js"
import type { Handler } from "../HandlerContext.js"
import type { EventSubject, RequestSubject, Subject } from "../Subject.js"
import { type Chain, insert, makeRunner, type Registration, remove, runChain, type Runner } from "./chain.js"
import { type PendingCounter, runWithTimeout } from "./timeout.js"
import { checkFor, type ValidationMode, whenValid } from "./validation.js"

/** One delivery of an event to one subscriber. */
interface Delivery {
  readonly caller: Context
  readonly payload: unknown
}

interface Subscription {
  readonly id: number
  readonly label: string
  readonly extension: string | undefined
  readonly run: Runner<Delivery, void>
}

/** Everything the bus knows about one subject name. */
interface Entry {
  readonly subject: Subject
  chain: Chain
  /** Whether every handler of `chain` declared itself synchronous. */
  synchronous: boolean
  subscribers: ReadonlyArray<Subscription>
}

/**
 * What a request needs beyond the chain, built once per subject: turning a
 * failure cause into the caller's error, and checking the response.
 */
interface Plan {
  readonly onFailure: (cause: Cause.Cause<unknown>) => Effect.Effect<never, unknown>
  readonly onSuccess: (response: unknown) => Effect.Effect<unknown, InvalidResponseError>
}

/** The extension that registrations made in the current fiber belong to, if any. */
export const currentExtension: FiberRef.FiberRef<string | undefined> = FiberRef.unsafeMake<string | undefined>(undefined)

/** Resolves a timeout option; `"none"` and infinite durations disable the timeout. */
export const resolveTimeout = (input: Duration.DurationInput | "none" | undefined): Duration.Duration | undefined => {
  if (input === undefined || input === "none") return undefined
  const duration = Duration.decode(input)
  return Duration.isFinite(duration) ? duration : undefined
}

const defaultTimeout = Duration.seconds(30)

const busErrorTags = new Set([
  "NoHandlerError",
  "InvalidPayloadError",
  "InvalidResponseError",
  "RequestTimeoutError",
  "HandlerDefectError"
])

/** A failure may reach the caller when the subject declares it or it is one of the bus's own errors. */
const isAllowedFailure = (subject: RequestSubject.Any, failure: unknown): boolean => {
  const tag = typeof failure === "object" && failure !== null ? (failure as { _tag?: unknown })._tag : undefined
  if (typeof tag === "string" && busErrorTags.has(tag)) {
    return true
  }
  return checkFor(subject.failure as Schema.Schema.AnyNoContext)(failure) === failure
}

/** Builds a bus. See `BusService` for the contract of each method. */
export const make = (options: BusOptions = {}): BusService => {
  const validation: ValidationMode = options.validation ?? "all"
  const checkRequests = validation !== "none"
  const checkResponses = validation === "all"
  const busTimeout = options.timeout === undefined ? defaultTimeout : resolveTimeout(options.timeout)

  const entries = new Map<string, Entry>()
  const namespaces = new Map<string, Namespace>()
  const plans = new WeakMap<RequestSubject.Any, Plan>()
  const pending: PendingCounter = { value: 0 }
  let nextId = 0

  const entryFor = (subject: Subject): Entry => {
    let entry = entries.get(subject.name)
    if (entry === undefined) {
      entry = { subject, chain: [], synchronous: true, subscribers: [] }
      entries.set(subject.name, entry)
    }
    return entry
  }

  const makePlan = (subject: RequestSubject.Any): Plan => {
    const checkResponse = checkFor(subject.response)
    return {
      onFailure: (cause) => {
        if (Cause.isDie(cause)) {
          return Effect.fail(new HandlerDefectError({ subject: subject.name, cause: Cause.squash(cause) }))
        }
        if (checkResponses) {
          const failure = Cause.failureOption(cause)
          if (failure._tag === "Some" && !isAllowedFailure(subject, failure.value)) {
            return Effect.fail(new HandlerDefectError({ subject: subject.name, cause: failure.value }))
          }
        }
        return Effect.failCause(cause)
      },
      onSuccess: (response) =>
        whenValid(checkResponse(response), Effect.succeed, (issues) =>
          new InvalidResponseError({ subject: subject.name, issues }))
    }
  }

  const planFor = (subject: RequestSubject.Any): Plan => {
    let plan = plans.get(subject)
    if (plan === undefined) {
      plan = makePlan(subject)
      plans.set(subject, plan)
    }
    return plan
  }

  const dispatch = (
    caller: Context,
    subject: RequestSubject.Any,
    payload: unknown,
    timeout: Duration.Duration | undefined
  ): Effect.Effect<any, any> => {
    const entry = entries.get(subject.name)
    if (entry === undefined || entry.chain.length === 0) {
      return Effect.fail(new NoHandlerError({ subject: subject.name }))
    }
    const chain = entry.chain
    const plan = planFor(subject)

    // One continuation frame both converts failures and checks the response.
    const guard = (effect: Effect.Effect<unknown, unknown>) =>
      checkResponses ? Effect.matchCauseEffect(effect, plan) : Effect.catchAllCause(effect, plan.onFailure)

    // A chain of synchronous handlers cannot be interrupted by a timer, so it runs inline.
    if (timeout === undefined || entry.synchronous) {
      return guard(runChain(caller, subject, chain, payload, undefined))
    }
    return runWithTimeout(
      (deadline) => guard(runChain(caller, subject, chain, payload, deadline)),
      subject.name,
      timeout,
      pending
    )
  }

  const request: BusService["request"] = (subject, payload, requestOptions) =>
    Effect.withFiberRuntime((fiber) => {
      const timeout = requestOptions?.timeout === undefined ? busTimeout : resolveTimeout(requestOptions.timeout)
      const caller = fiber.currentContext
      if (!checkRequests) {
        return dispatch(caller, subject, payload, timeout)
      }
      return whenValid(
        checkFor(subject.request)(payload),
        (value) => dispatch(caller, subject, value, timeout),
        (issues) => new InvalidPayloadError({ subject: subject.name, issues })
      )
    })

  const register = <R>(
    registerInEntry: (extension: string | undefined, captured: Context, id: number) => Effect.Effect<void, never, Scope.Scope>
  ): Effect.Effect<void, never, Scope.Scope | R> =>
    Effect.flatMap(FiberRef.get(currentExtension), (extension) =>
      Effect.contextWithEffect((captured: Context) => registerInEntry(extension, captured, nextId++)))

  const handle = <S extends RequestSubject.Any, R>(
    subject: S,
    handler: Handler<S, R>,
    handleOptions: HandleOptions = {}
  ): Effect.Effect<void, never, Scope.Scope | R> =>
    register<R>((fiberExtension, captured, id) => {
      const registration: Registration = {
        id,
        priority: handleOptions.priority ?? 0,
        label: handleOptions.label ?? (handler.name || `handler-${id}`),
        extension: handleOptions.extension ?? fiberExtension,
        synchronous: handleOptions.synchronous ?? false,
        run: makeRunner(captured, handler as (step: unknown) => Effect.Effect<unknown, unknown, unknown>)
      }
      const entry = entryFor(subject)
      const replaceChain = (chain: Chain) => {
        entry.chain = chain
        entry.synchronous = chain.every((candidate) => candidate.synchronous)
      }
      return Effect.acquireRelease(
        Effect.sync(() => replaceChain(insert(entry.chain, registration))),
        () => Effect.sync(() => replaceChain(remove(entry.chain, registration)))
      )
    })

  const deliver = (entry: Entry, subscription: Subscription, delivery: Delivery) =>
    Effect.catchAllCause(subscription.run(delivery), (cause) =>
      Effect.logError("Event subscriber failed", cause).pipe(
        Effect.annotateLogs({ subject: entry.subject.name, subscriber: subscription.label })
      ))

  const publish = (caller: Context, subject: EventSubject.Any, payload: unknown): Effect.Effect<void> => {
    const entry = entries.get(subject.name)
    if (entry === undefined || entry.subscribers.length === 0) {
      return Effect.void
    }
    const snapshot = entry.subscribers
    const delivery: Delivery = { caller, payload }
    return Effect.forEach(snapshot, (subscription) => deliver(entry, subscription, delivery), { discard: true })
  }

  const emit: BusService["emit"] = (subject, payload) =>
    Effect.withFiberRuntime((fiber) => {
      const caller = fiber.currentContext
      if (!checkRequests) {
        return publish(caller, subject, payload)
      }
      return whenValid(
        checkFor(subject.payload)(payload),
        (value) => publish(caller, subject, value),
        (issues) => new InvalidPayloadError({ subject: subject.name, issues })
      )
    })

  const subscribe = <S extends EventSubject.Any, R>(
    subject: S,
    subscriber: (payload: EventSubject.Payload<S>) => Effect.Effect<void, unknown, R>,
    subscribeOptions: SubscribeOptions = {}
  ): Effect.Effect<void, never, Scope.Scope | R> =>
    register<R>((fiberExtension, captured, id) => {
      const subscription: Subscription = {
        id,
        label: subscribeOptions.label ?? (subscriber.name || `subscriber-${id}`),
        extension: subscribeOptions.extension ?? fiberExtension,
        run: makeRunner(captured, (delivery: Delivery) =>
          subscriber(delivery.payload as EventSubject.Payload<S>) as Effect.Effect<void, unknown, unknown>)
      }
      const entry = entryFor(subject)
      return Effect.acquireRelease(
        Effect.sync(() => {
          entry.subscribers = [...entry.subscribers, subscription]
        }),
        () =>
          Effect.sync(() => {
            entry.subscribers = entry.subscribers.filter((candidate) => candidate !== subscription)
          })
      )
    })

  const registerNamespace: BusService["registerNamespace"] = (namespace) =>
    Effect.suspend(() => {
      const existing = namespaces.get(namespace.name)
      if (existing !== undefined) {
        const conflict = findConflict(existing, namespace)
        return conflict === undefined
          ? Effect.void
          : Effect.fail(new NamespaceConflictError({ namespace: namespace.name, subject: conflict }))
      }
      namespaces.set(namespace.name, namespace)
      for (const subject of Object.values(namespace.subjects)) {
        entryFor(subject)
      }
      return Effect.void
    })

  const describe: BusService["describe"] = Effect.sync(() => ({
    namespaces: [...namespaces.values()]
      .map((namespace) => ({
        name: namespace.name,
        subjects: Object.values(namespace.subjects).map((subject) => subject.name).sort()
      }))
      .sort((left, right) => left.name.localeCompare(right.name)),
    subjects: [...entries.values()]
      .map((entry): SubjectDescription => ({
        name: entry.subject.name,
        kind: entry.subject._tag === "RequestSubject" ? "request" : "event",
        handlers: entry.chain.map(({ extension, label, priority }) => ({ priority, label, extension })),
        subscribers: entry.subscribers.map(({ extension, label }) => ({ label, extension }))
      }))
      .sort((left, right) => left.name.localeCompare(right.name)),
    pendingRequests: pending.value
  }))

  return { request, handle, on: handle, emit, subscribe, registerNamespace, describe } as BusService
}

type Context = import("effect").Context.Context<never>

/** Returns the name of the first subject whose definition differs between two namespaces, if any. */
const findConflict = (left: Namespace, right: Namespace): string | undefined => {
  const names = new Set([...Object.keys(left.subjects), ...Object.keys(right.subjects)])
  for (const name of names) {
    const before = left.subjects[name]
    const after = right.subjects[name]
    if (before === undefined || after === undefined || !sameSubject(before, after)) {
      return (before ?? after)!.name
    }
  }
  return undefined
}

const sameSubject = (left: Subject, right: Subject): boolean => {
  if (left === right) return true
  if (left._tag !== right._tag || left.name !== right.name) return false
  if (left._tag === "EventSubject") {
    return sameSchema(left.payload, (right as EventSubject.Any).payload)
  }
  const other = right as RequestSubject.Any
  return sameSchema(left.request, other.request) &&
    sameSchema(left.response, other.response) &&
    sameSchema(left.failure, other.failure)
}

/** Two schemas are the same when they are one object or their ASTs serialize identically. */
const sameSchema = (left: Schema.Schema.All, right: Schema.Schema.All): boolean =>
  left === right || JSON.stringify(left.ast) === JSON.stringify(right.ast)
