import { Cause, Clock, Context, Duration, Effect, type Fiber, FiberRef, Layer, Option, Scope } from "effect"
import type { BusOptions, BusService, HandleOptions, Namespace, SubjectDescription, SubscribeOptions } from "../Bus.js"
import {
  HandlerDefectError,
  InvalidPayloadError,
  InvalidResponseError,
  isRequestError,
  NamespaceConflictError,
  NoHandlerError,
  SubjectConflictError
} from "../BusError.js"
import type { Handler } from "../HandlerContext.js"
import type { EventSubject, RequestSubject, Subject } from "../Subject.js"
import { type Chain, insert, makeRunner, type Registration, remove, RequestState, runChain, type Runner } from "./chain.js"
import { findConflict, sameSubject } from "./definitions.js"
import { checkPriority, resolveTimeout } from "./options.js"
import { type PendingCounter, runWithTimeout } from "./timeout.js"
import { checkFor, Invalid, type ValidationMode, whenValid } from "./validation.js"

type AnyContext = Context.Context<never>

/** One delivery of an event to one subscriber. */
interface Delivery {
  readonly caller: AnyContext
  readonly payload: unknown
}

interface Subscription {
  readonly id: number
  readonly label: string
  readonly extension: string | undefined
  readonly synchronous: boolean
  readonly run: Runner<Delivery, void>
}

/** The bus's record of one subject name. */
interface Entry {
  readonly subject: Subject
  chain: Chain
  /** Whether every handler of `chain` declared itself synchronous. */
  synchronous: boolean
  subscribers: ReadonlyArray<Subscription>
}

/**
 * The per-subject part of a request, built once: turning a
 * failure cause into the caller's error, and checking the response.
 */
interface Plan {
  readonly onFailure: (cause: Cause.Cause<unknown>) => Effect.Effect<never, unknown>
  readonly onSuccess: (response: unknown) => Effect.Effect<unknown, InvalidResponseError>
  /** Adds the one continuation frame that both converts failures and, when enabled, checks the response. */
  readonly guard: (effect: Effect.Effect<unknown, unknown>) => Effect.Effect<unknown, unknown>
}

/**
 * The tag of the kernel's extension context, which describes the extension
 * being booted; handlers read it when they register, not per request.
 */
const registrationOnly = Context.GenericTag<unknown, unknown>("@makaio/runtime/ExtensionContext")

/** The extension that registrations made in the current fiber belong to, if any. */
export const currentExtension: FiberRef.FiberRef<string | undefined> = FiberRef.unsafeMake<string | undefined>(undefined)

const defaultTimeout = resolveTimeout("30 seconds", undefined)

/** A resolved timeout, with its milliseconds computed once rather than per request. */
interface Timeout {
  readonly duration: Duration.Duration
  readonly millis: number
}

const toTimeout = (duration: Duration.Duration | undefined): Timeout | undefined =>
  duration === undefined ? undefined : { duration, millis: Duration.toMillis(duration) }

/** A failure may reach the caller when the subject declares it or it is one of the bus's own errors. */
const isAllowedFailure = (subject: RequestSubject.Any, failure: unknown): boolean =>
  isRequestError(failure) || !(checkFor(subject.failure as RequestSubject.Any["response"])(failure) instanceof Invalid)

/** Builds a bus. See `BusService` for the contract of each method. */
export const make = (options: BusOptions = {}): BusService => {
  const validation: ValidationMode = options.validation ?? "all"
  const checkRequests = validation !== "none"
  const checkResponses = validation === "all"
  const busTimeout = toTimeout(resolveTimeout(options.timeout, defaultTimeout))

  const entries = new Map<string, Entry>()
  const namespaces = new Map<string, Namespace>()
  const plans = new WeakMap<RequestSubject.Any, Plan>()
  // Subjects already compared with the definition registered under their name.
  const verified = new WeakSet<Subject>()
  const pending: PendingCounter = { value: 0 }
  let nextId = 0

  /** Returns the entry of a subject's name, or a conflict when another definition is registered under it. */
  const lookup = (subject: Subject): Entry | undefined | SubjectConflictError => {
    const entry = entries.get(subject.name)
    if (entry === undefined || entry.subject === subject || verified.has(subject)) {
      return entry
    }
    if (!sameSubject(entry.subject, subject)) {
      return new SubjectConflictError({ subject: subject.name })
    }
    verified.add(subject)
    return entry
  }

  /** Returns the entry of a subject for a registration, creating it; a conflicting definition is a defect. */
  const entryFor = (subject: Subject): Entry => {
    const existing = lookup(subject)
    if (existing instanceof SubjectConflictError) {
      throw existing
    }
    if (existing !== undefined) {
      return existing
    }
    const entry: Entry = { subject, chain: [], synchronous: true, subscribers: [] }
    entries.set(subject.name, entry)
    return entry
  }

  const makePlan = (subject: RequestSubject.Any): Plan => {
    const checkResponse = checkFor(subject.response)
    const plan: Plan = {
      guard: (effect) => (checkResponses ? Effect.matchCauseEffect(effect, plan) : Effect.catchAllCause(effect, plan.onFailure)),
      onFailure: (cause) => {
        if (Cause.isDie(cause)) {
          return Effect.fail(new HandlerDefectError({ subject: subject.name, cause: Cause.squash(cause) }))
        }
        // Only failing requests pay for this check, so it runs whatever the validation mode.
        const failure = Cause.failureOption(cause)
        if (failure._tag === "Some" && !isAllowedFailure(subject, failure.value)) {
          return Effect.fail(new HandlerDefectError({ subject: subject.name, cause: failure.value }))
        }
        return Effect.failCause(cause)
      },
      onSuccess: (response) =>
        whenValid(checkResponse(response), Effect.succeed, (issues) =>
          new InvalidResponseError({ subject: subject.name, issues }))
    }
    return plan
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
    fiber: Fiber.RuntimeFiber<unknown, unknown>,
    subject: RequestSubject.Any,
    payload: unknown,
    timeout: Timeout | undefined
  ): Effect.Effect<any, any> => {
    const entry = lookup(subject)
    if (entry instanceof SubjectConflictError) {
      return Effect.fail(entry)
    }
    if (entry === undefined || entry.chain.length === 0) {
      return Effect.fail(new NoHandlerError({ subject: subject.name }))
    }
    const plan = planFor(subject)

    // A chain of synchronous handlers cannot be interrupted by a timer, so it runs inline.
    if (timeout === undefined || entry.synchronous) {
      const request = new RequestState(fiber.currentContext, subject, entry.chain, timeout?.millis, fiber.currentDefaultServices)
      return plan.guard(runChain(request, payload))
    }
    return runWithTimeout(
      (deadline) =>
        plan.guard(runChain(new RequestState(fiber.currentContext, subject, entry.chain, timeout.millis, fiber.currentDefaultServices, deadline), payload)),
      subject.name,
      timeout.duration,
      pending
    )
  }

  const request: BusService["request"] = (subject, payload, requestOptions) =>
    Effect.withFiberRuntime((fiber) => {
      const timeout = requestOptions?.timeout === undefined ? busTimeout : toTimeout(resolveTimeout(requestOptions.timeout, undefined))
      if (!checkRequests) {
        return dispatch(fiber, subject, payload, timeout)
      }
      return whenValid(
        checkFor(subject.request)(payload),
        (value) => dispatch(fiber, subject, value, timeout),
        (issues) => new InvalidPayloadError({ subject: subject.name, issues })
      )
    })

  /**
   * Registers something for as long as the surrounding scope lives, with the
   * services captured now (none when `capture` is false). Services that belong
   * to the registration rather than the handler are left out: its `Scope`,
   * the memo map of a Layer being built, and the extension context the kernel
   * provides while an extension boots. Callers never have them, and capturing
   * them would make every request merge contexts.
   */
  const register = <R>(
    capture: boolean,
    registerInEntry: (extension: string | undefined, captured: AnyContext, id: number) => Effect.Effect<void, never, Scope.Scope>
  ): Effect.Effect<void, never, Scope.Scope | R> =>
    Effect.flatMap(FiberRef.get(currentExtension), (extension) =>
      Effect.contextWithEffect((context: AnyContext) => {
        const captured = capture ? Context.omit(Scope.Scope, Layer.CurrentMemoMap, registrationOnly)(context) : Context.empty()
        return registerInEntry(extension, captured as AnyContext, nextId++)
      }))

  const handle = <S extends RequestSubject.Any, R>(
    subject: S,
    handler: Handler<S, R>,
    handleOptions: HandleOptions = {}
  ): Effect.Effect<void, never, Scope.Scope | R> =>
    register<R>(handleOptions.captureServices ?? true, (fiberExtension, captured, id) =>
      Effect.suspend(() => {
        const registration: Registration = {
          id,
          priority: checkPriority(handleOptions.priority ?? 0),
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
      }))

  const deliver = (entry: Entry, subscription: Subscription, delivery: Delivery) => {
    const timeout = subscription.synchronous ? undefined : busTimeout
    const run = timeout === undefined
      ? subscription.run(delivery)
      : runWithTimeout(() => subscription.run(delivery), entry.subject.name, timeout.duration, pending)
    return Effect.catchAllCause(run, (cause) =>
      Effect.logError("Event subscriber failed", cause).pipe(
        Effect.annotateLogs({ subject: entry.subject.name, subscriber: subscription.label })
      ))
  }

  const publish = (caller: AnyContext, entry: Entry | undefined, payload: unknown): Effect.Effect<void> => {
    if (entry === undefined || entry.subscribers.length === 0) {
      return Effect.void
    }
    const snapshot = entry.subscribers
    const delivery: Delivery = { caller, payload }
    return Effect.forEach(snapshot, (subscription) => deliver(entry, subscription, delivery), { discard: true })
  }

  const emit: BusService["emit"] = (subject, payload) =>
    Effect.withFiberRuntime((fiber) => {
      const entry = lookup(subject)
      if (entry instanceof SubjectConflictError) {
        return Effect.die(entry)
      }
      const caller = fiber.currentContext
      if (!checkRequests) {
        return publish(caller, entry, payload)
      }
      return whenValid(
        checkFor(subject.payload)(payload),
        (value) => publish(caller, entry, value),
        (issues) => new InvalidPayloadError({ subject: subject.name, issues })
      )
    })

  const subscribe = <S extends EventSubject.Any, R>(
    subject: S,
    subscriber: (payload: EventSubject.Payload<S>) => Effect.Effect<void, unknown, R>,
    subscribeOptions: SubscribeOptions = {}
  ): Effect.Effect<void, never, Scope.Scope | R> =>
    register<R>(subscribeOptions.captureServices ?? true, (fiberExtension, captured, id) =>
      Effect.suspend(() => {
        const subscription: Subscription = {
          id,
          label: subscribeOptions.label ?? (subscriber.name || `subscriber-${id}`),
          extension: subscribeOptions.extension ?? fiberExtension,
          synchronous: subscribeOptions.synchronous ?? false,
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
      }))

  const registerNamespace: BusService["registerNamespace"] = (namespace) =>
    Effect.suspend(() => {
      const existing = namespaces.get(namespace.name)
      if (existing !== undefined) {
        const conflict = findConflict(existing, namespace)
        return conflict === undefined
          ? Effect.void
          : Effect.fail(new NamespaceConflictError({ namespace: namespace.name, subject: conflict }))
      }
      for (const subject of Object.values(namespace.subjects)) {
        const entry = lookup(subject)
        if (entry instanceof SubjectConflictError) {
          return Effect.fail(new NamespaceConflictError({ namespace: namespace.name, subject: subject.name }))
        }
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

  const subject: BusService["subject"] = (name) => Effect.sync(() => Option.fromNullable(entries.get(name)?.subject))

  return { request, handle, on: handle, emit, subscribe, registerNamespace, describe, subject } as BusService
}
