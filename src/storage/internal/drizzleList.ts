import type BetterSqlite3 from "better-sqlite3"
import { and, asc, type Column, desc, eq, gt, gte, inArray, isNotNull, isNull, lt, lte, ne, or, type SQL, sql, type Table } from "drizzle-orm"
import type { SqliteRemoteDatabase } from "drizzle-orm/sqlite-proxy"
import type { Condition, ListPlan, Ordering } from "./listPlan.js"
import { compileParams } from "./drizzleRows.js"

/** A prepared statement with the function that orders its parameters. */
interface Compiled {
  readonly statement: BetterSqlite3.Statement
  readonly bind: (values: Readonly<Record<string, unknown>>) => Array<unknown>
}

/** The statements of one list shape: the page query, and the count query when asked for. */
export interface CompiledList {
  readonly page: Compiled
  readonly count: Compiled | undefined
}

/** How many list shapes keep their prepared statements. */
const cacheSize = 200

/**
 * Returns the smallest string greater than every string that starts with
 * `prefix`, in code point order: the prefix with its last code point incremented (skipping
 * surrogates), or `undefined` when the prefix is only U+10FFFF characters.
 */
export const prefixUpperBound = (prefix: string): string | undefined => {
  const codePoints = Array.from(prefix, (char) => char.codePointAt(0)!)
  while (codePoints.length > 0) {
    const last = codePoints.pop()!
    if (last < 0x10ffff) {
      const next = last === 0xd7ff ? 0xe000 : last + 1
      return String.fromCodePoint(...codePoints, next)
    }
  }
  return undefined
}

/** Returns the SQL shape a startsWith condition needs: every non-null value, a lower bound only, or a range. */
const prefixShape = (prefix: string): "all" | "from" | "range" =>
  prefix === "" ? "all" : prefixUpperBound(prefix) === undefined ? "from" : "range"

/** Returns a key that differs exactly when two plans need different SQL. */
export const shapeOf = (plan: ListPlan): string => {
  const conditions = plan.conditions.map((condition) => {
    switch (condition.operator) {
      case "in":
        return `${condition.field.name}:in:${(condition.value as ReadonlyArray<unknown>).length}`
      case "isNull":
        return `${condition.field.name}:isNull:${condition.value}`
      case "startsWith":
        return `${condition.field.name}:startsWith:${prefixShape(condition.value as string)}`
      default:
        return `${condition.field.name}:${condition.operator}`
    }
  })
  const ordering = plan.ordering.map(({ direction, field }) => `${field.name}:${direction}`)
  const after = plan.after === undefined ? "start" : plan.after.map((value) => (value === null ? "null" : "value")).join(",")
  return `${conditions.join("&")}|${ordering.join(",")}|${after}|${plan.count}`
}

/** Converts a plan's operands and cursor position to named driver values for the shape's statements. */
export const valuesOf = (plan: ListPlan, columnOf: (field: string) => Column): Record<string, unknown> => {
  const values: Record<string, unknown> = { limit: plan.limit + 1 }
  const toDriver = (field: string, value: unknown) => (value === null ? null : columnOf(field).mapToDriverValue(value))

  for (const [index, condition] of plan.conditions.entries()) {
    const field = condition.field.name
    switch (condition.operator) {
      case "in":
        for (const [position, value] of (condition.value as ReadonlyArray<unknown>).entries()) {
          values[`c${index}_${position}`] = toDriver(field, value)
        }
        break
      case "isNull":
        break
      case "startsWith":
        values[`c${index}_from`] = condition.value
        values[`c${index}_to`] = prefixUpperBound(condition.value as string)
        break
      default:
        values[`c${index}`] = toDriver(field, condition.value)
    }
  }
  for (const [index, value] of (plan.after ?? []).entries()) {
    values[`k${index}`] = toDriver(plan.ordering[index]!.field.name, value)
  }
  return values
}

const conditionSql = (condition: Condition, index: number, column: Column): SQL => {
  const placeholder = sql.placeholder(`c${index}`)
  switch (condition.operator) {
    case "eq":
      return eq(column, placeholder)
    case "ne":
      return ne(column, placeholder)
    case "gt":
      return gt(column, placeholder)
    case "gte":
      return gte(column, placeholder)
    case "lt":
      return lt(column, placeholder)
    case "lte":
      return lte(column, placeholder)
    case "isNull":
      return condition.value ? isNull(column) : isNotNull(column)
    case "in": {
      const count = (condition.value as ReadonlyArray<unknown>).length
      if (count === 0) return sql`0 = 1`
      return inArray(column, Array.from({ length: count }, (_, position) => sql.placeholder(`c${index}_${position}`)))
    }
    case "startsWith":
      switch (prefixShape(condition.value as string)) {
        case "all":
          return isNotNull(column)
        case "from":
          return gte(column, sql.placeholder(`c${index}_from`))
        case "range":
          return and(gte(column, sql.placeholder(`c${index}_from`)), lt(column, sql.placeholder(`c${index}_to`)))!
      }
  }
}

/**
 * The keyset condition "row comes after the cursor position". Nulls sort
 * first in ascending order and last in descending order, as SQLite sorts
 * them. When no position value is null and every key ascends, a row-value
 * comparison lets SQLite seek an index. Otherwise the condition is expanded
 * key by key.
 */
const afterSql = (ordering: ReadonlyArray<Ordering>, after: ReadonlyArray<unknown>, columnOf: (field: string) => Column): SQL => {
  const columns = ordering.map(({ field }) => columnOf(field.name))
  const positions = ordering.map((_, index) => sql.placeholder(`k${index}`))

  if (ordering.every(({ direction }) => direction === "asc") && after.every((value) => value !== null)) {
    return sql`(${sql.join(columns, sql`, `)}) > (${sql.join(positions, sql`, `)})`
  }

  const equalUpTo = (end: number): Array<SQL> =>
    columns.slice(0, end).map((column, index) => (after[index] === null ? isNull(column) : eq(column, positions[index]!)))

  const branches = ordering.map(({ direction }, index) => {
    const column = columns[index]!
    const isNullPosition = after[index] === null
    let beyond: SQL
    if (direction === "asc") {
      beyond = isNullPosition ? isNotNull(column) : gt(column, positions[index]!)
    } else {
      beyond = isNullPosition ? sql`0 = 1` : or(lt(column, positions[index]!), isNull(column))!
    }
    return and(...equalUpTo(index), beyond)!
  })
  return or(...branches)!
}

/** Prepares the statements of list plans, once per shape, with drizzle's query builder. */
export const makeListCompiler = (
  drizzle: SqliteRemoteDatabase,
  connection: BetterSqlite3.Database,
  table: Table,
  columnOf: (field: string) => Column
) => {
  const cache = new Map<string, CompiledList>()

  const prepare = (query: { toSQL: () => { sql: string; params: Array<unknown> } }, raw: boolean): Compiled => {
    const { params, sql: text } = query.toSQL()
    const statement = connection.prepare(text)
    statement.safeIntegers(true)
    if (raw) statement.raw(true)
    return { statement, bind: compileParams(params) }
  }

  const build = (plan: ListPlan): CompiledList => {
    const filters = plan.conditions.map((condition, index) => conditionSql(condition, index, columnOf(condition.field.name)))
    const where = plan.after === undefined ? filters : [...filters, afterSql(plan.ordering, plan.after, columnOf)]
    const orderBy = plan.ordering.map(({ direction, field }) =>
      direction === "asc" ? asc(columnOf(field.name)) : desc(columnOf(field.name)))

    const page = drizzle.select().from(table as never).where(and(...where)).orderBy(...orderBy).limit(sql.placeholder("limit") as never)
    const count = plan.count ? drizzle.select({ count: sql<number>`count(*)` }).from(table as never).where(and(...filters)) : undefined
    return { page: prepare(page as never, true), count: count === undefined ? undefined : prepare(count as never, true) }
  }

  /** Returns the prepared statements of a plan's shape, preparing them on first use. */
  return (plan: ListPlan): CompiledList => {
    const key = shapeOf(plan)
    let compiled = cache.get(key)
    if (compiled === undefined) {
      compiled = build(plan)
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!)
      cache.set(key, compiled)
    }
    return compiled
  }
}
