import { Schema } from "effect"

/** The command line combines options that exclude each other. */
export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", {
  detail: Schema.String
}) {
  override get message(): string {
    return `Invalid command line: ${this.detail}`
  }
}

/** The config module could not be found, imported, or does not export extensions. */
export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  path: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return `Cannot load the config ${this.path}: ${this.detail}`
  }
}

/** No subject of this name is known to the bus, or it is an event subject. */
export class UnknownSubjectError extends Schema.TaggedError<UnknownSubjectError>()("UnknownSubjectError", {
  subject: Schema.String,
  kind: Schema.Literal("unknown", "event")
}) {
  override get message(): string {
    if (this.kind === "event") {
      return `"${this.subject}" is an event subject, and makaio request sends only requests: ` +
        `run "makaio subjects" to see which subjects are requests.`
    }
    return `No subject "${this.subject}" is registered: run "makaio subjects" to list the subjects, ` +
      `or load the extension that defines it with --config.`
  }
}

/** The payload argument is not one JSON value. */
export class InvalidJsonError extends Schema.TaggedError<InvalidJsonError>()("InvalidJsonError", {
  subject: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `The payload for "${this.subject}" is not valid JSON (${this.reason}): ` +
      `pass one JSON value, for example '{"sessionId": "s-1"}', or - to read it from standard input.`
  }
}

/** A handler failed with one of the failures its subject declares. */
export class DeclaredFailureError extends Schema.TaggedError<DeclaredFailureError>()("DeclaredFailureError", {
  subject: Schema.String,
  /** The failure's own message, or its tag when it has none. */
  detail: Schema.String,
  /** The failure encoded with the subject's failure schema, as JSON text. */
  encoded: Schema.String,
  /** The failure's `code`, when it has one, such as a storage error's `LOCK_TIMEOUT`. */
  code: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return `Request "${this.subject}" failed: ${this.detail}\n${this.encoded}`
  }
}
