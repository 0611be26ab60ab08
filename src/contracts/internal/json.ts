import type { JsonValue } from "../session.js"

/** How deep a JSON value may nest. */
export const maxJsonDepth = 256

/** Why a value is not JSON, and where. */
export interface JsonProblem {
  readonly path: ReadonlyArray<string | number>
  readonly message: string
}

const isPlainObject = (value: object): boolean => {
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/**
 * Copies a JSON value, or returns the first part that is not JSON: a value
 * other than null, a boolean, a finite number, a string, an array or a plain
 * object (a `Date`, a `Map` or a class instance would lose its data in
 * `JSON.stringify`), a `__proto__` key, or nesting deeper than `maxJsonDepth`
 * (which includes any cycle). Negative zero becomes zero, as in JSON text.
 * The walk is iterative, so no value can overflow the call stack.
 */
export const copyJson = (input: unknown): { readonly value: JsonValue } | { readonly problem: JsonProblem } => {
  const root: { value?: unknown } = {}
  const stack: Array<{ readonly from: unknown; readonly into: Record<string | number, unknown>; readonly key: string | number; readonly path: ReadonlyArray<string | number> }> = [
    { from: input, into: root as Record<string, unknown>, key: "value", path: [] }
  ]
  while (stack.length > 0) {
    const { from, into, key, path } = stack.pop()!
    if (from === null || typeof from === "boolean" || typeof from === "string") {
      into[key] = from
    } else if (typeof from === "number") {
      if (!Number.isFinite(from)) return { problem: { path, message: `Expected a finite number, actual ${from}` } }
      into[key] = from === 0 ? 0 : from
    } else if (typeof from === "object" && (Array.isArray(from) || isPlainObject(from))) {
      if (path.length >= maxJsonDepth) {
        return { problem: { path, message: `is nested more than ${maxJsonDepth} levels deep, or refers back to itself` } }
      }
      const target: Record<string | number, unknown> = Array.isArray(from) ? new Array(from.length) as never : {}
      into[key] = target
      for (const [entryKey, entryValue] of Object.entries(from)) {
        if (entryKey === "__proto__") return { problem: { path: [...path, entryKey], message: "is not allowed as a key" } }
        const index = Array.isArray(from) ? Number(entryKey) : entryKey
        stack.push({ from: entryValue, into: target, key: index, path: [...path, index] })
      }
    } else {
      const kind = from === undefined ? "undefined" : typeof from === "object" ? `an instance of ${(from as object).constructor?.name ?? "a class"}` : typeof from
      return { problem: { path, message: `Expected a JSON value (null, boolean, finite number, string, array or plain object), actual ${kind}` } }
    }
  }
  return { value: root.value as JsonValue }
}
