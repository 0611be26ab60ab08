import { Duration } from "effect"

/**
 * Resolves a timeout option: `undefined` gives the fallback, `"none"` and
 * infinite durations disable the timeout. Throws a `TypeError` naming the
 * value for anything that is not a positive duration.
 */
export const resolveTimeout = (
  input: Duration.DurationInput | "none" | undefined,
  fallback: Duration.Duration | undefined
): Duration.Duration | undefined => {
  if (input === undefined) return fallback
  if (input === "none") return undefined
  let duration: Duration.Duration
  try {
    duration = Duration.decode(input)
  } catch {
    throw new TypeError(`Invalid timeout ${describe(input)}: use a positive duration such as "5 seconds" or 5000 (milliseconds), or "none".`)
  }
  if (typeof input === "number" && !(input > 0)) {
    throw new TypeError(`Invalid timeout ${describe(input)}: use a positive duration such as "5 seconds" or 5000 (milliseconds), or "none".`)
  }
  if (!Duration.isFinite(duration)) return undefined
  if (Duration.toMillis(duration) <= 0) {
    throw new TypeError(`Invalid timeout ${describe(input)}: use a positive duration such as "5 seconds" or 5000 (milliseconds), or "none".`)
  }
  return duration
}

/** Checks a handler priority; NaN would break the ordering of the whole chain. */
export const checkPriority = (priority: number): number => {
  if (typeof priority !== "number" || Number.isNaN(priority)) {
    throw new TypeError(`Invalid handler priority ${describe(priority)}: use a number (higher runs first; Infinity and negatives are allowed).`)
  }
  return priority
}

const describe = (value: unknown): string => {
  try {
    return typeof value === "string" ? JSON.stringify(value) : String(value)
  } catch {
    return typeof value
  }
}
