import { Schema } from "effect"

/** A schema of declared failures; `Schema.Never` when a subject declares none. */
export type FailureSchema = Schema.Schema.AnyNoContext | Schema.Schema<never, never, never>

/**
 * A request subject: a name plus the schemas of its payload, its response and
 * the tagged errors its handlers may fail with. Callers and handlers take their
 * types from it, so `Bus.request(subject, payload)` is typed end to end.
 *
 * Schemas must not need services (`R = never`): the bus checks payloads and
 * responses synchronously on the hot path.
 */
export interface RequestSubject<
  Name extends string = string,
  Payload extends Schema.Schema.AnyNoContext = Schema.Schema.AnyNoContext,
  Response extends Schema.Schema.AnyNoContext = Schema.Schema.AnyNoContext,
  Failure extends FailureSchema = typeof Schema.Never
> {
  readonly _tag: "RequestSubject"
  readonly name: Name
  readonly request: Payload
  readonly response: Response
  readonly failure: Failure
}

export declare namespace RequestSubject {
  /** Any request subject, whatever its name and schemas. */
  export type Any = RequestSubject<string, Schema.Schema.AnyNoContext, Schema.Schema.AnyNoContext, FailureSchema>

  /** The payload a caller sends and a handler receives. */
  export type Payload<S extends Any> = Schema.Schema.Type<S["request"]>

  /** The value a handler returns and a caller receives. */
  export type Response<S extends Any> = Schema.Schema.Type<S["response"]>

  /** The declared errors a handler may fail with; they reach the caller unchanged. */
  export type Failure<S extends Any> = Schema.Schema.Type<S["failure"]>
}

/** An event subject: a name and the schema of the payload delivered to subscribers. */
export interface EventSubject<
  Name extends string = string,
  Payload extends Schema.Schema.AnyNoContext = Schema.Schema.AnyNoContext
> {
  readonly _tag: "EventSubject"
  readonly name: Name
  readonly payload: Payload
}

export declare namespace EventSubject {
  /** Any event subject, whatever its name and schema. */
  export type Any = EventSubject<string, Schema.Schema.AnyNoContext>

  /** The payload an emitter sends and every subscriber receives. */
  export type Payload<S extends Any> = Schema.Schema.Type<S["payload"]>
}

/** A request or an event subject. */
export type Subject = RequestSubject.Any | EventSubject.Any

/** The schemas of a request subject; `failure` defaults to `Schema.Never` (no declared errors). */
export interface RequestSchemas<
  Payload extends Schema.Schema.AnyNoContext,
  Response extends Schema.Schema.AnyNoContext,
  Failure extends FailureSchema
> {
  readonly request: Payload
  readonly response: Response
  readonly failure?: Failure
}

const subjectNamePattern = /^[A-Za-z0-9_.-]+(?::[A-Za-z0-9_.-]+)?$/

const checkName = (name: string): void => {
  if (!subjectNamePattern.test(name)) {
    throw new TypeError(
      `Invalid subject name ${JSON.stringify(name)}: use letters, digits, "_", "-" and ".", ` +
        `with at most one ":" after a prefix, for example "storage:session.get".`
    )
  }
}

/**
 * Defines a request subject. Throws a `TypeError` when the name has other
 * characters than letters, digits, `_`, `-` and `.`, with at most one `:`
 * after a prefix, because a subject is a module-level constant and a bad name
 * is a programming error.
 */
export const request = <
  const Name extends string,
  Payload extends Schema.Schema.AnyNoContext,
  Response extends Schema.Schema.AnyNoContext,
  Failure extends FailureSchema = typeof Schema.Never
>(
  name: Name,
  schemas: RequestSchemas<Payload, Response, Failure>
): RequestSubject<Name, Payload, Response, Failure> => {
  checkName(name)
  return {
    _tag: "RequestSubject",
    name,
    request: schemas.request,
    response: schemas.response,
    failure: (schemas.failure ?? Schema.Never) as Failure
  }
}

/** Defines an event subject; the name follows the same rule as for requests. */
export const event = <const Name extends string, Payload extends Schema.Schema.AnyNoContext>(
  name: Name,
  payload: Payload
): EventSubject<Name, Payload> => {
  checkName(name)
  return { _tag: "EventSubject", name, payload }
}
