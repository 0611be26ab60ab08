import { Effect, Either, ParseResult, Schema } from "effect"
import type { SchemaIssue } from "../BusError.js"
import { compileFastDecoder, invalid } from "./fastDecode.js"

/**
 * How much the bus checks. `"all"` checks payloads and responses, `"requests"`
 * checks payloads only, `"none"` trusts in-process callers and handlers.
 */
export type ValidationMode = "all" | "requests" | "none"

/** A failed check, with every issue found. */
export class Invalid {
  constructor(readonly issues: ReadonlyArray<SchemaIssue>) {}
}

/** A check that must run as an Effect, because the schema has asynchronous parts. */
export class Deferred<A> {
  constructor(readonly effect: Effect.Effect<A, ReadonlyArray<SchemaIssue>>) {}
}

/** A compiled check: the checked value, or why it is invalid. */
export type Check<A> = (value: unknown) => A | Invalid | Deferred<A>

const parseOptions = { errors: "all", onExcessProperty: "ignore", exact: false } as const

/** Turns a parse issue into the flat `{ path, message }` list that bus errors carry. */
export const toSchemaIssues = (issue: ParseResult.ParseIssue): ReadonlyArray<SchemaIssue> => {
  let formatted: ReadonlyArray<ParseResult.ArrayFormatterIssue>
  try {
    formatted = ParseResult.ArrayFormatter.formatIssueSync(issue)
  } catch {
    // Formatting quotes the actual value, which overflows the stack for a value nested thousands of levels deep.
    return [{ path: [], message: "is invalid, and nested too deeply to show" }]
  }
  const issues = formatted.map((entry) => ({
    path: entry.path.map((key) => (typeof key === "symbol" ? String(key) : key)),
    message: shorten(entry.message)
  }))
  // An optional field is a union with `undefined`, so Effect adds "Expected undefined" beside the
  // real problem at the same place. That line only repeats that the value is invalid.
  const relevant = issues.filter((candidate) =>
    !(candidate.message.startsWith("Expected undefined,") &&
      issues.some((other) => other !== candidate && startsWith(other.path, candidate.path))))
  return mergeAlternatives(relevant)
}

const expectedPattern = /^Expected (.+), actual (.+)$/s

/**
 * Merges the issues a union reports at one path, one per member ("Expected
 * "a", actual "x"", "Expected "b", actual "x""), into a single issue listing
 * every accepted alternative.
 */
const mergeAlternatives = (issues: ReadonlyArray<SchemaIssue>): ReadonlyArray<SchemaIssue> => {
  const merged: Array<SchemaIssue> = []
  const byPath = new Map<string, { index: number; expected: Array<string>; actual: string }>()
  for (const issue of issues) {
    const match = expectedPattern.exec(issue.message)
    const pathKey = JSON.stringify(issue.path)
    const previous = byPath.get(pathKey)
    if (match !== null && previous !== undefined && previous.actual === match[2]) {
      previous.expected.push(match[1]!)
      merged[previous.index] = { path: issue.path, message: `Expected ${previous.expected.join(" | ")}, actual ${previous.actual}` }
      continue
    }
    if (match !== null) {
      byPath.set(pathKey, { index: merged.length, expected: [match[1]!], actual: match[2]! })
    }
    merged.push(issue)
  }
  return merged
}

/** The maximum length of an issue's message, since the actual value it quotes can be arbitrarily large. */
const maxMessageLength = 500

const shorten = (message: string): string =>
  message.length <= maxMessageLength ? message : `${message.slice(0, maxMessageLength)}... (${message.length - maxMessageLength} more characters)`

const startsWith = (path: ReadonlyArray<PropertyKey>, prefix: ReadonlyArray<PropertyKey>): boolean =>
  prefix.length <= path.length && prefix.every((key, index) => path[index] === key)

const compile = <A>(schema: Schema.Schema<A, any, never>): Check<A> => {
  // In-process values are already of the decoded type, so they are checked
  // against the type side of the schema (a `Date` stays a `Date`). Decoding
  // returns a copy without unknown fields, so the receiver gets only what the
  // schema declares and shares no structs, arrays or dates with the sender.
  const typeSide = Schema.typeSchema(schema)
  const fast = compileFastDecoder(typeSide.ast)
  const decodeSync = ParseResult.decodeUnknownEither(typeSide, parseOptions)
  const decodeEffect = ParseResult.decodeUnknown(typeSide, parseOptions)

  return (value) => {
    let result: Either.Either<A, ParseResult.ParseIssue>
    try {
      if (fast !== undefined) {
        const decoded = fast(value)
        if (decoded !== invalid) return decoded as A
      }
      result = decodeSync(value)
    } catch (error) {
      // Both decoders recurse, so a value nested thousands of levels deep (or a cycle) exhausts the stack.
      if (error instanceof RangeError) return new Invalid([{ path: [], message: "is nested too deeply, or refers back to itself" }])
      throw error
    }
    if (Either.isRight(result)) {
      return result.right
    }
    if (result.left._tag === "Forbidden") {
      return new Deferred(Effect.mapError(decodeEffect(value), toSchemaIssues))
    }
    return new Invalid(toSchemaIssues(result.left))
  }
}

const compiled = new WeakMap<Schema.Schema.AnyNoContext, Check<unknown>>()

/** Returns the compiled check of a schema, compiling it on first use. */
export const checkFor = <A>(schema: Schema.Schema<A, any, never>): Check<A> => {
  let check = compiled.get(schema)
  if (check === undefined) {
    check = compile(schema)
    compiled.set(schema, check)
  }
  return check as Check<A>
}

/**
 * Continues with a checked value, fails with the error `onInvalid` builds, or
 * runs a deferred check first.
 */
export const whenValid = <A, B, E, E2>(
  result: A | Invalid | Deferred<A>,
  onValid: (value: A) => Effect.Effect<B, E>,
  onInvalid: (issues: ReadonlyArray<SchemaIssue>) => E2
): Effect.Effect<B, E | E2> => {
  if (result instanceof Invalid) {
    return Effect.fail(onInvalid(result.issues))
  }
  if (result instanceof Deferred) {
    return Effect.matchEffect(result.effect, {
      onFailure: (issues) => Effect.fail(onInvalid(issues)),
      onSuccess: onValid
    })
  }
  return onValid(result)
}

/**
 * Returns a synchronous check of a schema's type side: the checked copy, or
 * the issues. A schema that needs asynchronous checks is reported as an issue,
 * because the callers (storage backends) run synchronously.
 */
export const checkSync = <A>(schema: Schema.Schema<A, any, never>) => {
  const check = checkFor(schema)
  return (value: unknown): Either.Either<A, ReadonlyArray<SchemaIssue>> => {
    const result = check(value)
    if (result instanceof Invalid) return Either.left(result.issues)
    if (result instanceof Deferred) {
      return Either.left([{ path: [], message: "the schema needs asynchronous checks, which are not supported here" }])
    }
    return Either.right(result)
  }
}
