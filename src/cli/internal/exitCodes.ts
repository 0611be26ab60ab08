import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Span from "@effect/cli/HelpDoc/Span"
import * as ValidationError from "@effect/cli/ValidationError"

/** The exit codes of `makaio`, one per kind of error, so scripts can tell them apart. */
export const ExitCode = {
  success: 0,
  unexpected: 1,
  usage: 2,
  noHandler: 3,
  invalidPayload: 4,
  timeout: 5,
  handlerFailed: 6,
  bootFailed: 7,
  interrupted: 130
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/** The meaning of each exit code, as `--help` and the README list them. */
const meanings: ReadonlyArray<readonly [ExitCode, string]> = [
  [ExitCode.success, "success"],
  [ExitCode.unexpected, "unexpected error, a bug in makaio or an extension; the output names it"],
  [ExitCode.usage, "invalid command line: unknown command or option, invalid option value, --db with --memory"],
  [ExitCode.noHandler, "no handler: the subject is not registered, is an event, or no handler returned a result"],
  [ExitCode.invalidPayload, "invalid payload: the JSON does not parse or does not match the payload schema"],
  [ExitCode.timeout, "timeout: the request did not complete within --timeout"],
  [ExitCode.handlerFailed, "handler failed: a declared failure, a defect, or a response that does not match its schema"],
  [ExitCode.bootFailed, "boot failed: the config, the database, a migration or an extension"],
  [ExitCode.interrupted, "interrupted by SIGINT or SIGTERM"]
]

/** The EXIT CODES section that ends every help page. */
export const exitCodesHelp: HelpDoc.HelpDoc = HelpDoc.sequence(
  HelpDoc.h1("EXIT CODES"),
  HelpDoc.descriptionList(
    meanings.map(([code, meaning]) => [Span.text(String(code)), HelpDoc.p(meaning)]) as [
      [Span.Span, HelpDoc.HelpDoc],
      ...Array<[Span.Span, HelpDoc.HelpDoc]>
    ]
  )
)

/** The exit code of each error tag: bus errors, boot errors and the CLI's own. */
const codeByTag: ReadonlyMap<string, ExitCode> = new Map([
  ["UsageError", ExitCode.usage],
  ["UnknownSubjectError", ExitCode.noHandler],
  ["NoHandlerError", ExitCode.noHandler],
  ["InvalidJsonError", ExitCode.invalidPayload],
  ["InvalidPayloadError", ExitCode.invalidPayload],
  ["RequestTimeoutError", ExitCode.timeout],
  ["DeclaredFailureError", ExitCode.handlerFailed],
  ["HandlerDefectError", ExitCode.handlerFailed],
  ["InvalidResponseError", ExitCode.handlerFailed],
  ["ConfigError", ExitCode.bootFailed],
  ["DuplicateExtensionError", ExitCode.bootFailed],
  ["MissingDependencyError", ExitCode.bootFailed],
  ["DependencyCycleError", ExitCode.bootFailed],
  ["MigrationError", ExitCode.bootFailed],
  ["DatabaseOpenError", ExitCode.bootFailed],
  ["DatabaseError", ExitCode.bootFailed],
  ["ExtensionBootError", ExitCode.bootFailed]
])

/** Returns the exit code of a failure; anything unknown is `unexpected`. */
export const exitCodeOf = (error: unknown): ExitCode => {
  if (ValidationError.isValidationError(error)) return ExitCode.usage
  // Storage that gave up waiting for a lock because the request's deadline passed timed out like any request.
  if (typeof error === "object" && error !== null && (error as { readonly code?: unknown }).code === "LOCK_TIMEOUT") {
    return ExitCode.timeout
  }
  const tag = typeof error === "object" && error !== null ? (error as { readonly _tag?: unknown })._tag : undefined
  return typeof tag === "string" ? codeByTag.get(tag) ?? ExitCode.unexpected : ExitCode.unexpected
}
