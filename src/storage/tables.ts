import { customType, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core"
import type { JsonObject } from "../contracts/session.js"

/**
 * A signed 64-bit integer column read and written as `bigint`, so values
 * beyond 2^53 round-trip exactly. The driver rejects values outside the
 * 64-bit range instead of truncating them.
 */
export const int64 = customType<{ data: bigint; driverData: bigint | number }>({
  dataType: () => "integer",
  toDriver: (value) => value,
  fromDriver: (value) => BigInt(value)
})

/** The runtime's session table; `SessionStorage` is served from it. */
export const sessions = sqliteTable("makaio_sessions", {
  id: text("id").primaryKey(),
  status: text("status").notNull(),
  title: text("title"),
  metadata: text("metadata", { mode: "json" }).notNull().$type<JsonObject>(),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  version: int64("version").notNull()
}, (table) => [
  index("makaio_sessions_status_idx").on(table.status, table.id),
  index("makaio_sessions_created_at_idx").on(table.createdAt, table.id),
  index("makaio_sessions_updated_at_idx").on(table.updatedAt, table.id)
])
