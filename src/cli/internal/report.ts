import * as ValidationError from "@effect/cli/ValidationError"
import { Cause, Console, Effect } from "effect"
import { InvalidPayloadError, InvalidResponseError } from "../../bus/BusError.js"
import { ExitCode, exitCodeOf } from "./exitCodes.js"
import { formatIssues } from "./issues.js"

/** Formats an error for standard error: a schema error as one line per invalid path, others by their message. */
const describeError = (error: unknown): string => {
  if (error instanceof InvalidPayloadError) {
    const lines = formatIssues(error.issues, "(payload)").map((line) => `  ${line}`)
    return [`Invalid payload for "${error.subject}":`, ...lines].join("\n")
  }
  if (error instanceof InvalidResponseError) {
    const lines = formatIssues(error.issues, "(response)").map((line) => `  ${line}`)
    return [`A handler of "${error.subject}" returned a response that does not match its schema:`, ...lines].join("\n")
  }
  return error instanceof Error ? error.message : String(error)
}

const unexpected = (cause: Cause.Cause<unknown>): string =>
  `Unexpected error, probably a bug in makaio or an extension. Report it with this output:\n${Cause.pretty(cause)}`

/** Prints why the command failed to standard error and returns the exit code for it. */
export const reportFailure = (cause: Cause.Cause<unknown>): Effect.Effect<ExitCode> => {
  if (Cause.isInterruptedOnly(cause)) {
    return Effect.as(Console.error("Interrupted."), ExitCode.interrupted)
  }
  const failure = Cause.failureOption(cause)
  if (failure._tag === "None") {
    return Effect.as(Console.error(unexpected(cause)), ExitCode.unexpected)
  }
  const error = failure.value
  // The command-line parser has already printed its own errors with the usage.
  if (ValidationError.isValidationError(error)) {
    return Effect.succeed(ExitCode.usage)
  }
  const code = exitCodeOf(error)
  const text = code === ExitCode.unexpected ? unexpected(cause) : describeError(error)
  return Effect.as(Console.error(text), code)
}
