import type { FieldKind } from "./fields.js"
import type { Condition, Ordering } from "./listPlan.js"

/**
 * Compares two strings by Unicode code point, which is the order of their
 * UTF-8 bytes and so the order SQLite's default BINARY collation uses. Plain
 * `<` compares UTF-16 code units and puts U+FFFF after U+1F600.
 */
export const compareStrings = (left: string, right: string): number => {
  const length = Math.min(left.length, right.length)
  for (let index = 0; index < length; index++) {
    const a = left.charCodeAt(index)
    const b = right.charCodeAt(index)
    if (a !== b) {
      // Surrogates (0xD800-0xDFFF) encode code points above 0xFFFF, so they sort after 0xE000-0xFFFF.
      const aSurrogate = a >= 0xd800 && a <= 0xdfff
      const bSurrogate = b >= 0xd800 && b <= 0xdfff
      if (aSurrogate !== bSurrogate) return aSurrogate ? 1 : -1
      return a < b ? -1 : 1
    }
  }
  return left.length - right.length
}

const sign = (difference: number): number => {
  if (difference < 0) return -1
  return difference > 0 ? 1 : 0
}

/** Compares two values of a type with `<`, such as bigints. */
const compareOrdered = <T>(left: T, right: T): number => {
  if (left === right) return 0
  return left < right ? -1 : 1
}

/** Compares two non-null values of one field kind. */
export const compareValues = (kind: FieldKind, left: unknown, right: unknown): number => {
  switch (kind) {
    case "string":
      return sign(compareStrings(left as string, right as string))
    case "number":
      return sign((left as number) - (right as number))
    case "bigint":
      return compareOrdered(left as bigint, right as bigint)
    case "boolean":
      return compareOrdered(Number(left), Number(right))
    case "date":
      return sign((left as Date).getTime() - (right as Date).getTime())
  }
}

/** Compares two values of one field where null sorts before every other value. */
export const compareNullable = (kind: FieldKind, left: unknown, right: unknown): number => {
  if (left === null && right === null) return 0
  if (left === null) return -1
  if (right === null) return 1
  return compareValues(kind, left, right)
}

/** Tests one condition against a field value; comparisons never match null. */
export const matches = (condition: Condition, value: unknown): boolean => {
  if (condition.operator === "isNull") {
    return (value === null) === condition.value
  }
  if (value === null || value === undefined) {
    return false
  }
  const kind = condition.field.kind!
  switch (condition.operator) {
    case "eq":
      return compareValues(kind, value, condition.value) === 0
    case "ne":
      return compareValues(kind, value, condition.value) !== 0
    case "in":
      return (condition.value as ReadonlyArray<unknown>).some((candidate) => compareValues(kind, value, candidate) === 0)
    case "gt":
      return compareValues(kind, value, condition.value) > 0
    case "gte":
      return compareValues(kind, value, condition.value) >= 0
    case "lt":
      return compareValues(kind, value, condition.value) < 0
    case "lte":
      return compareValues(kind, value, condition.value) <= 0
    case "startsWith":
      return (value as string).startsWith(condition.value as string)
  }
}

/**
 * Compares two positions in an ordering, each given as the values of the
 * ordering's fields. The ordering always ends with the key, so two different
 * entities never compare equal.
 */
export const comparePositions = (
  ordering: ReadonlyArray<Ordering>,
  left: ReadonlyArray<unknown>,
  right: ReadonlyArray<unknown>
): number => {
  for (let index = 0; index < ordering.length; index++) {
    const { direction, field } = ordering[index]!
    const difference = compareNullable(field.kind!, left[index], right[index])
    if (difference !== 0) {
      return direction === "asc" ? difference : -difference
    }
  }
  return 0
}
