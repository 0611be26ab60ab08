import { Context, type Duration, Effect, Layer, type Option, type Scope } from "effect"
import type { InvalidPayloadError, NamespaceConflictError, RequestError } from "./BusError.js"
import type { Handler } from "./HandlerContext.js"
import * as internal from "./internal/bus.js"
import type { ValidationMode } from "./internal/validation.js"
import type { EventSubject, RequestSubject, Subject } from "./Subject.js"

export type { ValidationMode } from "./internal/validation.js"

/** A timeout: a duration, or `"none"` for no timeout. */
export type TimeoutInput = Duration.DurationInput | "none"

/** Options of a bus. */
export interface BusOptions {
  /** Default timeout of every request; 30 seconds unless set. `"none"` disables it. */
  readonly timeout?: TimeoutInput

  /**
   * The checks the bus runs against the subject's schemas: `"all"` (the default)
   * checks payloads and responses, `"requests"` only payloads and event
   * payloads, `"none"` nothing. Lighter modes are for trusted in-process callers.
   */
  readonly validation?: ValidationMode
}

/** Options of one request. */
export interface RequestOptions {
  /** Overrides the bus's default timeout for this request; `"none"` disables it. */
  readonly timeout?: TimeoutInput
}

/** Options of a handler registration. */
export interface HandleOptions {
  /** Position in the chain: higher runs first; equal priorities keep registration order. Default 0. */
  readonly priority?: number

  /** Name shown by `describe` and in logs; defaults to the handler function's name. */
  readonly label?: string

  /** Owning extension shown by `describe`; defaults to the extension being booted, if any. */
  readonly extension?: string

  /**
   * Declares that the handler completes without suspending (an in-memory
   * store, a synchronous database driver), or bounds any wait by the
   * `deadline` of its context itself. When every handler of a chain is
   * synchronous, requests run on the caller's fiber even with a timeout,
   * because a timer cannot interrupt synchronous code anyway. The bus does not
   * time out a handler that declares this and then waits. Default false.
   */
  readonly synchronous?: boolean

  /**
   * Whether the handler keeps the services of the context it registers in.
   * Pass false for a handler that took its services when it was built (as the
   * storage backends do): a caller that lacks some captured service makes
   * every request merge contexts, which costs more than a memory handler.
   * Default true.
   */
  readonly captureServices?: boolean
}

/** Options of an event subscription. */
export interface SubscribeOptions {
  /** Name shown by `describe` and in the log line of a failure. */
  readonly label?: string

  /** Owning extension shown by `describe`. */
  readonly extension?: string

  /**
   * Registers the subscriber as one that never waits, like `HandleOptions.synchronous`; the bus does not check this.
   * Other subscribers get the bus's default timeout: one that hangs is
   * interrupted and logged, and the emit goes on. Default false.
   */
  readonly synchronous?: boolean

  /** Whether the subscriber keeps the services of the context it subscribes in; see `HandleOptions.captureServices`. */
  readonly captureServices?: boolean
}

/** One handler or subscriber as `describe` reports it. */
export interface ListenerDescription {
  readonly label: string
  readonly extension: string | undefined
}

/** One subject as `describe` reports it, with its chain in dispatch order. */
export interface SubjectDescription {
  readonly name: string
  readonly kind: "request" | "event"
  readonly handlers: ReadonlyArray<ListenerDescription & { readonly priority: number }>
  readonly subscribers: ReadonlyArray<ListenerDescription>
}

/** A named group of subjects, such as the subjects of a storage domain. */
export interface Namespace {
  readonly name: string
  readonly subjects: Readonly<Record<string, Subject>>
}

/** One registered namespace as `describe` reports it. */
export interface NamespaceDescription {
  readonly name: string
  /** The names of its subjects, sorted. */
  readonly subjects: ReadonlyArray<string>
}

/** The bus's report about itself. */
export interface BusDescription {
  /** Every registered namespace, sorted by name. */
  readonly namespaces: ReadonlyArray<NamespaceDescription>

  /** Every subject of a registered namespace or with a handler or subscriber, sorted by name. */
  readonly subjects: ReadonlyArray<SubjectDescription>

  /** Requests whose handler is still running on its own fiber (see `request`). */
  readonly pendingRequests: number
}

/** The bus service. */
export interface BusService {
  /**
   * Sends a request through the subject's handler chain and returns the first
   * result. Fails with the subject's declared failures or a bus error: no
   * handler, invalid payload or response, timeout, handler defect, or a
   * subject definition that conflicts with the one registered under its name.
   *
   * Handlers run with the caller's services. Without a timeout, or when every
   * handler of the chain is synchronous, they run on the caller's fiber. With
   * a timeout they run on a child fiber that starts with the caller's services
   * and FiberRefs (so a transaction the caller opened covers them), because
   * Effect interrupts whole fibers only; FiberRef changes they make are not
   * copied back. Interrupting the caller interrupts the handler.
   */
  readonly request: <S extends RequestSubject.Any>(
    subject: S,
    payload: RequestSubject.Payload<S>,
    options?: RequestOptions
  ) => Effect.Effect<RequestSubject.Response<S>, RequestSubject.Failure<S> | RequestError>

  /**
   * Registers a handler until the surrounding scope closes. The services the
   * handler needs are captured now (all but `Scope`), so callers only need
   * `Bus`. A handler also gets the services the caller provides, but where both
   * have one of the same tag, the captured one wins. Dies with
   * `SubjectConflictError` when another definition is registered under the
   * subject's name, and with a `TypeError` for a NaN priority.
   */
  readonly handle: <S extends RequestSubject.Any, R = never>(
    subject: S,
    handler: Handler<S, R>,
    options?: HandleOptions
  ) => Effect.Effect<void, never, Scope.Scope | R>

  /** Another name for `handle`, after the `bus.on` of the Promise-based original. */
  readonly on: BusService["handle"]

  /**
   * Delivers an event to every subscriber registered when the emit starts, one
   * after another. A subscriber's failure, or its timeout (the bus default,
   * unless it is synchronous), is logged with the subject and the
   * subscriber's label and never stops the others.
   */
  readonly emit: <S extends EventSubject.Any>(
    subject: S,
    payload: EventSubject.Payload<S>
  ) => Effect.Effect<void, InvalidPayloadError>

  /** Subscribes to an event until the surrounding scope closes. */
  readonly subscribe: <S extends EventSubject.Any, R = never>(
    subject: S,
    subscriber: (payload: EventSubject.Payload<S>) => Effect.Effect<void, unknown, R>,
    options?: SubscribeOptions
  ) => Effect.Effect<void, never, Scope.Scope | R>

  /**
   * Registers a namespace, which makes its subjects known to `describe`.
   * Registering the same definition again does nothing; registering another
   * definition under a registered name fails with `NamespaceConflictError`.
   */
  readonly registerNamespace: (namespace: Namespace) => Effect.Effect<void, NamespaceConflictError>

  /** Lists the registered namespaces, and the known subjects with their handler chains and subscribers. */
  readonly describe: Effect.Effect<BusDescription>

  /**
   * Returns the subject registered under a name (one that `describe`
   * lists), so a tool that gets the name as text can reach its schemas.
   */
  readonly subject: (name: string) => Effect.Effect<Option.Option<Subject>>
}

/**
 * The message bus. `yield* Bus` gives the service; the static functions
 * (`Bus.request`, `Bus.handle`, ...) reach it from the environment.
 */
export class Bus extends Context.Tag("@makaio/runtime/Bus")<Bus, BusService>() {
  /** Builds a bus with the given options. */
  static readonly make = internal.make

  /** A Layer providing a new bus. */
  static readonly layer = (options?: BusOptions): Layer.Layer<Bus> => Layer.sync(Bus, () => internal.make(options))

  /** The extension that registrations made in this fiber belong to; the kernel sets it while booting one. */
  static readonly currentExtension = internal.currentExtension

  /** Sends a request on the bus in the environment; see `BusService.request`. */
  static request<S extends RequestSubject.Any>(
    subject: S,
    payload: RequestSubject.Payload<S>,
    options?: RequestOptions
  ): Effect.Effect<RequestSubject.Response<S>, RequestSubject.Failure<S> | RequestError, Bus> {
    return Effect.flatMap(Bus, (bus) => bus.request(subject, payload, options))
  }

  /** Registers a handler on the bus in the environment; see `BusService.handle`. */
  static handle<S extends RequestSubject.Any, R = never>(
    subject: S,
    handler: Handler<S, R>,
    options?: HandleOptions
  ): Effect.Effect<void, never, Bus | Scope.Scope | R> {
    return Effect.flatMap(Bus, (bus) => bus.handle(subject, handler, options))
  }

  /** Another name for `Bus.handle`. */
  static on<S extends RequestSubject.Any, R = never>(
    subject: S,
    handler: Handler<S, R>,
    options?: HandleOptions
  ): Effect.Effect<void, never, Bus | Scope.Scope | R> {
    return Bus.handle(subject, handler, options)
  }

  /** A Layer that keeps a handler registered for as long as the Layer lives. */
  static handler<S extends RequestSubject.Any, R = never>(
    subject: S,
    handler: Handler<S, R>,
    options?: HandleOptions
  ): Layer.Layer<never, never, Bus | R> {
    return Layer.scopedDiscard(Bus.handle(subject, handler, options))
  }

  /** Emits an event on the bus in the environment; see `BusService.emit`. */
  static emit<S extends EventSubject.Any>(
    subject: S,
    payload: EventSubject.Payload<S>
  ): Effect.Effect<void, InvalidPayloadError, Bus> {
    return Effect.flatMap(Bus, (bus) => bus.emit(subject, payload))
  }

  /** Subscribes on the bus in the environment; see `BusService.subscribe`. */
  static subscribe<S extends EventSubject.Any, R = never>(
    subject: S,
    subscriber: (payload: EventSubject.Payload<S>) => Effect.Effect<void, unknown, R>,
    options?: SubscribeOptions
  ): Effect.Effect<void, never, Bus | Scope.Scope | R> {
    return Effect.flatMap(Bus, (bus) => bus.subscribe(subject, subscriber, options))
  }

  /** Registers a namespace on the bus in the environment; see `BusService.registerNamespace`. */
  static registerNamespace(namespace: Namespace): Effect.Effect<void, NamespaceConflictError, Bus> {
    return Effect.flatMap(Bus, (bus) => bus.registerNamespace(namespace))
  }

  /** Describes the bus in the environment; see `BusService.describe`. */
  static readonly describe: Effect.Effect<BusDescription, never, Bus> = Effect.flatMap(Bus, (bus) => bus.describe)

  /** Looks up a subject by name on the bus in the environment; see `BusService.subject`. */
  static subject(name: string): Effect.Effect<Option.Option<Subject>, never, Bus> {
    return Effect.flatMap(Bus, (bus) => bus.subject(name))
  }
}

export declare namespace Bus {
  /** Options of `Bus.layer` and `Bus.make`. */
  export type Options = BusOptions

  /** The bus service, as `yield* Bus` returns it. */
  export type Service = BusService

  /** The result of `describe`. */
  export type Description = BusDescription
}
