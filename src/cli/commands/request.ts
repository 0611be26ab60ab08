import * as fs from "node:fs"
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import { Console, Duration, Effect, Option, ParseResult, Schema } from "effect"
import { Bus, type TimeoutInput } from "../../bus/Bus.js"
import { InvalidPayloadError, InvalidResponseError, isRequestError, type SchemaIssue } from "../../bus/BusError.js"
import type { RequestSubject } from "../../bus/Subject.js"
import { applicationLayer, applicationOptions, loadApplication } from "../internal/application.js"
import { DeclaredFailureError, InvalidJsonError, UnknownSubjectError } from "../internal/CliError.js"

/** Parses `--timeout`: a duration such as "5 seconds", a number of milliseconds, or "none". */
const parseTimeout = (text: string): Effect.Effect<TimeoutInput, ValidationError.ValidationError> => {
  const trimmed = text.trim()
  if (trimmed === "none") return Effect.succeed("none")
  const duration = /^\d+(\.\d+)?$/.test(trimmed) ? Option.some(Duration.millis(Number(trimmed))) : Duration.decodeUnknown(trimmed)
  if (Option.isSome(duration) && Duration.isFinite(duration.value) && Duration.toMillis(duration.value) > 0) {
    return Effect.succeed(duration.value)
  }
  return Effect.fail(ValidationError.invalidValue(HelpDoc.p(
    `Invalid --timeout ${JSON.stringify(text)}: use a positive duration such as "5 seconds" or "500 millis", ` +
      `a number of milliseconds such as 5000, or "none".`
  )))
}

/** Reads the payload argument: JSON text, or `-` for standard input. */
const readPayload = (subject: string, argument: string): Effect.Effect<unknown, InvalidJsonError> =>
  Effect.try({
    try: () => JSON.parse(argument === "-" ? fs.readFileSync(0, "utf8") : argument) as unknown,
    catch: (cause) => new InvalidJsonError({ subject, reason: cause instanceof Error ? cause.message : String(cause) })
  })

/** Finds a request subject by name among the subjects registered on the booted bus. */
const findRequestSubject = (name: string): Effect.Effect<RequestSubject.Any, UnknownSubjectError, Bus> =>
  Effect.flatMap(Bus.subject(name), (found) => {
    if (Option.isNone(found)) {
      return Effect.fail(new UnknownSubjectError({ subject: name, kind: "unknown" }))
    }
    if (found.value._tag === "EventSubject") {
      return Effect.fail(new UnknownSubjectError({ subject: name, kind: "event" }))
    }
    return Effect.succeed(found.value)
  })

const issuesOf = (error: ParseResult.ParseError): Array<SchemaIssue> =>
  ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => ({
    path: issue.path.map((segment) => (typeof segment === "symbol" ? String(segment) : segment)),
    message: issue.message
  }))

/** Decodes the JSON payload with the subject's payload schema, which rejects fields it does not declare. */
const decodePayload = (subject: RequestSubject.Any, json: unknown): Effect.Effect<unknown, InvalidPayloadError> =>
  Schema.decodeUnknown(subject.request)(json, { errors: "all", onExcessProperty: "error" }).pipe(
    Effect.mapError((error) => new InvalidPayloadError({ subject: subject.name, issues: issuesOf(error) }))
  )

/** Turns a failure the subject declares into `DeclaredFailureError`, with the failure encoded as JSON. */
const declaredFailure = (subject: RequestSubject.Any, failure: unknown): DeclaredFailureError => {
  const encoded = Schema.encodeUnknownOption(subject.failure as Schema.Schema.AnyNoContext)(failure)
  const message = failure instanceof Error && failure.message !== "" ? failure.message : undefined
  const tag = (failure as { readonly _tag?: unknown } | null)?._tag
  const code = (failure as { readonly code?: unknown } | null)?.code
  return new DeclaredFailureError({
    subject: subject.name,
    detail: message ?? (typeof tag === "string" ? tag : "a declared failure"),
    encoded: toJson(Option.getOrElse(encoded, () => failure)),
    code: typeof code === "string" ? code : undefined
  })
}

/** Formats an encoded value as JSON text, writing a bigint that a schema keeps as such as a string. */
const toJson = (value: unknown): string =>
  JSON.stringify(value ?? null, (_key, field: unknown) => (typeof field === "bigint" ? field.toString() : field), 2)

/** `makaio request`: boots the application, sends one request and prints the encoded response. */
export const requestCommand = Command.make(
  "request",
  {
    ...applicationOptions,
    timeout: Options.text("timeout").pipe(
      Options.withDescription(
        `How long the request may take: a duration such as "5 seconds" or "500 millis", a number of milliseconds, ` +
          `or "none". Default 30 seconds.`
      ),
      Options.mapEffect(parseTimeout),
      Options.optional
    ),
    subject: Args.text({ name: "subject" }).pipe(Args.withDescription("The request subject, such as storage:session.get.")),
    payload: Args.text({ name: "json" }).pipe(
      Args.withDescription("The payload as JSON, or - to read it from standard input. Default {}."),
      Args.withDefault("{}")
    )
  },
  (options) =>
    Effect.gen(function*() {
      const json = yield* readPayload(options.subject, options.payload)
      const application = yield* loadApplication(options)

      const encoded = yield* Effect.gen(function*() {
        const subject = yield* findRequestSubject(options.subject)
        const payload = yield* decodePayload(subject, json)
        const requestOptions = Option.isSome(options.timeout) ? { timeout: options.timeout.value } : {}
        const response = yield* Bus.request(subject, payload, requestOptions).pipe(
          Effect.catchIf((failure) => !isRequestError(failure), (failure) => Effect.fail(declaredFailure(subject, failure)))
        )
        return yield* Schema.encodeUnknown(subject.response)(response).pipe(
          Effect.mapError((error) => new InvalidResponseError({ subject: subject.name, issues: issuesOf(error) }))
        )
      }).pipe(Effect.provide(applicationLayer(application)))

      yield* Console.log(toJson(encoded))
    })
).pipe(Command.withDescription(
  "Send a request to a subject and print the response as JSON. The payload and the response are in their " +
    "encoded JSON form, with dates as ISO strings and 64-bit integers as strings. Fields the payload schema does " +
    "not declare are rejected. Errors go to standard error, with one line per invalid path for a schema error, " +
    "and the exit code tells their kind (see EXIT CODES)."
))
