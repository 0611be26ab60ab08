import { Duration, Schema } from "effect"

/** One problem found by a schema check: where it is in the value, and what is wrong. */
export const SchemaIssue = Schema.Struct({
  path: Schema.Array(Schema.Union(Schema.String, Schema.Number)),
  message: Schema.String
})
export type SchemaIssue = typeof SchemaIssue.Type

const formatIssues = (issues: ReadonlyArray<SchemaIssue>): string =>
  issues
    .map((issue) => (issue.path.length === 0 ? issue.message : `at ${issue.path.join(".")}: ${issue.message}`))
    .join("; ")

/** No handler returned a result: the subject has none, or the last handler of its chain called `next`. */
export class NoHandlerError extends Schema.TaggedError<NoHandlerError>()("NoHandlerError", {
  subject: Schema.String
}) {
  override get message(): string {
    return `No handler answered "${this.subject}": register a handler for it, ` +
      `or make the last handler of its chain return a result instead of calling next().`
  }
}

/** The payload does not match the subject's request schema; no handler ran. */
export class InvalidPayloadError extends Schema.TaggedError<InvalidPayloadError>()("InvalidPayloadError", {
  subject: Schema.String,
  issues: Schema.Array(SchemaIssue)
}) {
  override get message(): string {
    return `Invalid payload for "${this.subject}": ${formatIssues(this.issues)}`
  }
}

/** A handler returned a value that does not match the subject's response schema. */
export class InvalidResponseError extends Schema.TaggedError<InvalidResponseError>()("InvalidResponseError", {
  subject: Schema.String,
  issues: Schema.Array(SchemaIssue)
}) {
  override get message(): string {
    return `A handler of "${this.subject}" returned an invalid response: ${formatIssues(this.issues)}`
  }
}

/** The request did not complete within its timeout; its handler was interrupted. */
export class RequestTimeoutError extends Schema.TaggedError<RequestTimeoutError>()("RequestTimeoutError", {
  subject: Schema.String,
  duration: Schema.DurationFromMillis
}) {
  override get message(): string {
    return `Request "${this.subject}" timed out after ${Duration.format(this.duration)}: ` +
      `raise the timeout for this request or find out why its handler is slow.`
  }
}

/**
 * Describes a defect without copying field values into the text: an `Error`
 * by its name and message, a tagged value by its tag, anything else by type.
 */
const describeDefect = (cause: unknown): string => {
  const tag = typeof cause === "object" && cause !== null ? (cause as { readonly _tag?: unknown })._tag : undefined
  if (typeof tag === "string") {
    return `undeclared failure "${tag}"`
  }
  if (cause instanceof Error) {
    return `${cause.name}: ${cause.message}`
  }
  if (typeof cause === "object" && cause !== null) {
    return "a non-Error object was thrown"
  }
  if (cause === undefined || cause === null) {
    return String(cause)
  }
  return `${typeof cause} ${String(cause)}`
}

/** A handler threw, died, or failed with an error its subject does not declare. */
export class HandlerDefectError extends Schema.TaggedError<HandlerDefectError>()("HandlerDefectError", {
  subject: Schema.String,
  cause: Schema.Defect
}) {
  override get message(): string {
    return `A handler of "${this.subject}" failed unexpectedly with ${describeDefect(this.cause)}`
  }
}

/**
 * A subject was used with a definition (kind or schemas) other than the one
 * already registered under its name. Subjects are compared by their
 * schemas, so two identical definitions do not conflict.
 */
export class SubjectConflictError extends Schema.TaggedError<SubjectConflictError>()("SubjectConflictError", {
  subject: Schema.String
}) {
  override get message(): string {
    return `Subject "${this.subject}" is already in use with a different definition: ` +
      `define each subject once and import that definition wherever it is used.`
  }
}

/** A namespace was registered again with a different definition. */
export class NamespaceConflictError extends Schema.TaggedError<NamespaceConflictError>()("NamespaceConflictError", {
  namespace: Schema.String,
  subject: Schema.String
}) {
  override get message(): string {
    return `Namespace "${this.namespace}" is already registered with a different definition of "${this.subject}": ` +
      `define each namespace once and import that definition wherever it is used.`
  }
}

/** Every error the bus itself can add to a request's declared failures. */
export type RequestError =
  | NoHandlerError
  | InvalidPayloadError
  | InvalidResponseError
  | RequestTimeoutError
  | HandlerDefectError
  | SubjectConflictError

/** Tells whether a value is one of the bus's own request errors. */
export const isRequestError = (value: unknown): value is RequestError =>
  value instanceof NoHandlerError ||
  value instanceof InvalidPayloadError ||
  value instanceof InvalidResponseError ||
  value instanceof RequestTimeoutError ||
  value instanceof HandlerDefectError ||
  value instanceof SubjectConflictError
