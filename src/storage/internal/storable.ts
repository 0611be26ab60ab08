import type { SchemaIssue } from "../../bus/BusError.js"

/** A string with a lone surrogate has no UTF-8 form, so a database cannot store it faithfully. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** The deepest nesting a stored value may have; deeper values are rejected before any recursive code reads them. */
export const maxDepth = 256

/**
 * Finds the first part of a value that no backend can store the same way:
 * a string with a lone surrogate, NaN or an infinity, or nesting deeper than `maxDepth`
 * (which includes any cycle). Every backend rejects these, so a value stored in one backend
 * reads back the same from all of them. The walk uses its own stack, so a
 * deep value cannot overflow the call stack.
 */
export const findUnstorable = (value: unknown, basePath: ReadonlyArray<string | number> = []): SchemaIssue | undefined => {
  const stack: Array<{ readonly value: unknown; readonly path: ReadonlyArray<string | number> }> = [{ value, path: basePath }]
  while (stack.length > 0) {
    const { path, value: current } = stack.pop()!
    if (typeof current === "string") {
      if (loneSurrogate.test(current)) {
        return { path, message: "contains an unpaired surrogate, which has no UTF-8 form: remove it or pair it" }
      }
    } else if (typeof current === "number") {
      if (!Number.isFinite(current)) {
        return { path, message: `is ${current}, which cursors, cache keys and JSON cannot represent: use null or a finite number` }
      }
    } else if (typeof current === "object" && current !== null && !(current instanceof Date)) {
      // A value that refers back to itself also ends here, since its nesting never ends.
      if (path.length - basePath.length >= maxDepth) {
        return { path, message: `is nested more than ${maxDepth} levels deep, or refers back to itself` }
      }
      for (const [key, inner] of Object.entries(current)) {
        if (loneSurrogate.test(key)) {
          return { path: [...path, key], message: "is a key with an unpaired surrogate, which has no UTF-8 form" }
        }
        stack.push({ value: inner, path: [...path, Array.isArray(current) ? Number(key) : key] })
      }
    }
  }
  return undefined
}

/**
 * Reads the key of a get, set or delete payload: a string no backend would
 * store differently. The bus may be configured not to check payloads, so
 * backends check the key themselves.
 */
export const keyOf = (payload: Readonly<Record<string, unknown>>, keyParam: string): { readonly key: string } | { readonly issue: SchemaIssue } => {
  const key = payload[keyParam]
  if (typeof key !== "string") return { issue: { path: [keyParam], message: "Expected string" } }
  const unstorable = findUnstorable(key, [keyParam])
  return unstorable === undefined ? { key } : { issue: unstorable }
}

/** Replaces negative zero with zero, which is what SQL databases store for it. */
export const withoutNegativeZero = (value: unknown): unknown => {
  if (Object.is(value, -0)) return 0
  if (Array.isArray(value)) return value.map(withoutNegativeZero)
  if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, withoutNegativeZero(inner)]))
  }
  return value
}
