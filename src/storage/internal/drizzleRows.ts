import { type Column, getTableColumns, is, Param, Placeholder, type Table } from "drizzle-orm"
import { SQLiteTable } from "drizzle-orm/sqlite-core"
import { Either, type Schema } from "effect"
import type { SchemaIssue } from "../../bus/BusError.js"
import { checkSync } from "../../bus/internal/validation.js"
import { errorMessage } from "./sqliteConnection.js"

/** A table column with the property name drizzle gives it in row objects. */
export interface NamedColumn {
  readonly property: string
  readonly column: Column
}

/** Converts between entities and the driver values of one table's rows. */
export interface RowCodec<Entity> {
  /** Every column, in the order `select * from table` returns them. */
  readonly columns: ReadonlyArray<NamedColumn>
  /** Turns an entity into driver values, keyed by column property. */
  readonly encode: (entity: Entity) => Either.Either<Record<string, unknown>, ReadonlyArray<SchemaIssue>>
  /** Turns a raw row (driver values in column order) into a checked entity. */
  readonly decode: (raw: ReadonlyArray<unknown>) => Either.Either<Entity, ReadonlyArray<SchemaIssue>>
}

/** Fails with a clear message unless the table is a SQLite table, the only dialect implemented so far. */
export const requireSqliteTable = (table: Table): void => {
  if (!is(table, SQLiteTable)) {
    throw new TypeError("DrizzleStorage supports SQLite tables only (declared with sqliteTable from drizzle-orm/sqlite-core).")
  }
}

const toDriver = (column: Column, value: unknown): unknown =>
  value === null || value === undefined ? null : column.mapToDriverValue(value)

/**
 * Reads a driver value back. Statements read integers as `bigint` (so 64-bit
 * values survive); columns other than custom ones expect numbers, so those
 * get a number back.
 */
const fromDriver = (column: Column, raw: unknown): unknown => {
  if (raw === null || raw === undefined) return null
  const value = typeof raw === "bigint" && column.dataType !== "custom" ? Number(raw) : raw
  return column.mapFromDriverValue(value)
}

/** Builds the codec of a table for an entity schema, with the user's mapping between entity and row. */
export const makeRowCodec = <Entity>(
  table: Table,
  entity: Schema.Schema<Entity, any>,
  toRow: (entity: Entity) => Record<string, unknown>,
  fromRow: (row: Record<string, unknown>) => Entity
): RowCodec<Entity> => {
  const columns = Object.entries(getTableColumns(table)).map(([property, column]) => ({ property, column: column as Column }))
  const check = checkSync(entity)

  const encode: RowCodec<Entity>["encode"] = (value) => {
    try {
      const row = toRow(value)
      const driverValues: Record<string, unknown> = {}
      for (const { column, property } of columns) {
        driverValues[property] = toDriver(column, row[property])
      }
      return Either.right(driverValues)
    } catch (cause) {
      return Either.left([{ path: [], message: `cannot convert the entity to a row: ${errorMessage(cause)}` }])
    }
  }

  const decode: RowCodec<Entity>["decode"] = (raw) => {
    const row: Record<string, unknown> = {}
    for (const [index, { column, property }] of columns.entries()) {
      try {
        row[property] = fromDriver(column, raw[index])
      } catch (cause) {
        return Either.left([{ path: [property], message: `cannot read the stored value: ${errorMessage(cause)}` }])
      }
    }
    let value: Entity
    try {
      value = fromRow(row)
    } catch (cause) {
      return Either.left([{ path: [], message: `cannot convert the row to an entity: ${errorMessage(cause)}` }])
    }
    return check(value)
  }

  return { columns, encode, decode }
}

/**
 * Compiles the parameter list drizzle returns with a query's SQL into a
 * function from named values to positional ones. Placeholders take their
 * value by name (already converted to driver values); constants are kept.
 */
export const compileParams = (params: ReadonlyArray<unknown>): ((values: Readonly<Record<string, unknown>>) => Array<unknown>) => {
  const slots = params.map((param): { readonly name: string } | { readonly constant: unknown } => {
    const inner = is(param, Param) ? param.value : param
    return is(inner, Placeholder) ? { name: inner.name as string } : { constant: inner }
  })
  return (values) => slots.map((slot) => ("name" in slot ? values[slot.name] : slot.constant))
}
