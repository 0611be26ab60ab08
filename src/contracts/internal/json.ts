import type { JsonValue } from "../session.js"

/** The deepest nesting a JSON value may have. */
export const maxJsonDepth = 256

/** The reason a value is not JSON, and its place in the value. */
export interface JsonProblem {
  readonly path: ReadonlyArray<string | number>
  readonly message: string
}

const isPlainObject = (value: object): boolean => {
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

type Slot = { readonly from: unknown; readonly into: Record<string | number, unknown>; readonly key: string | number; readonly depth: number }

/** Returns why one value is not JSON, or undefined when it is; its children are checked separately. */
const problemOf = (value: unknown, depth: number): string | undefined => {
  if (value === null || typeof value === "boolean" || typeof value === "string") return undefined
  if (typeof value === "number") return Number.isFinite(value) ? undefined : `Expected a finite number, actual ${value}`
  if (typeof value === "object" && (Array.isArray(value) || isPlainObject(value))) {
    return depth >= maxJsonDepth ? `is nested more than ${maxJsonDepth} levels deep, or refers back to itself` : undefined
  }
  const kind = value === undefined
    ? "undefined"
    : typeof value === "object"
    ? `an instance of ${(value as object).constructor?.name ?? "a class"}`
    : typeof value
  return `Expected a JSON value (null, boolean, finite number, string, array or plain object), actual ${kind}`
}

/**
 * Copies a JSON value, or returns the first part that is not JSON. That is a
 * value other than null, a boolean, a finite number, a string, an array or a
 * plain object (a `Date`, a `Map` or a class instance would lose its data in
 * `JSON.stringify`), a `__proto__` key, or nesting deeper than `maxJsonDepth`,
 * which includes any cycle. Negative zero becomes zero, as in JSON text.
 * The walk is iterative, so no value can overflow the call stack; the path of
 * a problem is worked out only when there is one.
 */
export const copyJson = (input: unknown): { readonly value: JsonValue } | { readonly problem: JsonProblem } => {
  const root: Record<string, unknown> = {}
  const stack: Array<Slot> = [{ from: input, into: root, key: "value", depth: 0 }]
  while (stack.length > 0) {
    const { depth, from, into, key } = stack.pop()!
    if (problemOf(from, depth) !== undefined) return { problem: locate(input) }
    if (typeof from !== "object" || from === null) {
      into[key] = from === 0 ? 0 : from
      continue
    }
    if (Array.isArray(from)) {
      // Indexes rather than keys, so a hole (which JSON turns into null) is found as undefined.
      const target = new Array<unknown>(from.length)
      into[key] = target
      for (let index = 0; index < from.length; index++) {
        stack.push({ from: from[index], into: target as never, key: index, depth: depth + 1 })
      }
      continue
    }
    const target: Record<string, unknown> = {}
    into[key] = target
    for (const entryKey of Object.keys(from)) {
      if (entryKey === "__proto__") return { problem: locate(input) }
      stack.push({ from: (from as Record<string, unknown>)[entryKey], into: target, key: entryKey, depth: depth + 1 })
    }
  }
  return { value: root.value as JsonValue }
}

/** Walks a value that is known to hold a problem again, this time keeping paths, and returns the first problem. */
const locate = (input: unknown): JsonProblem => {
  const stack: Array<{ readonly value: unknown; readonly path: ReadonlyArray<string | number> }> = [{ value: input, path: [] }]
  while (stack.length > 0) {
    const { path, value } = stack.pop()!
    const message = problemOf(value, path.length)
    if (message !== undefined) return { path, message }
    if (typeof value !== "object" || value === null) continue
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) stack.push({ value: value[index], path: [...path, index] })
      continue
    }
    for (const key of Object.keys(value)) {
      if (key === "__proto__") return { path: [...path, key], message: "is not allowed as a key" }
      stack.push({ value: (value as Record<string, unknown>)[key], path: [...path, Array.isArray(value) ? Number(key) : key] })
    }
  }
  return { path: [], message: "is not a JSON value" }
}
