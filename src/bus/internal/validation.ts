import { Effect, Either, ParseResult, Schema } from "effect"
import type { SchemaIssue } from "../BusError.js"

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

/**
 * A compiled check. It returns the checked value itself when the value is
 * valid, so the common case allocates nothing beyond what the schema does.
 */
export type Check<A> = (value: unknown) => A | Invalid | Deferred<A>

const parseOptions = { errors: "all", onExcessProperty: "ignore", exact: false } as const

/** Turns a parse issue into the flat `{ path, message }` list that bus errors carry. */
export const toSchemaIssues = (issue: ParseResult.ParseIssue): ReadonlyArray<SchemaIssue> =>
  ParseResult.ArrayFormatter.formatIssueSync(issue).map((formatted) => ({
    path: formatted.path.map((key) => (typeof key === "symbol" ? String(key) : key)),
    message: formatted.message
  }))

const compile = <A>(schema: Schema.Schema<A, any, never>): Check<A> => {
  // In-process values are already of the decoded type, so they are checked
  // against the type side of the schema (a `Date` stays a `Date`). A valid
  // value passes through as it is; the slower decode runs only to explain a
  // failure or to run a schema with asynchronous parts.
  const typeSide = Schema.typeSchema(schema)
  const isValid = Schema.is(typeSide, { exact: false })
  const decodeSync = ParseResult.decodeUnknownEither(typeSide, parseOptions)
  const decodeEffect = ParseResult.decodeUnknown(typeSide, parseOptions)

  return (value) => {
    if (isValid(value)) {
      return value as A
    }
    const result = decodeSync(value)
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
