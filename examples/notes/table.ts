import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core"
import { sessions } from "../../src/storage/tables.js"

/**
 * The notes table. Each note belongs to a session; deleting the session
 * deletes its notes in the same statement (no `changed` event is emitted for
 * those notes).
 */
export const notes = sqliteTable("example_notes", {
  id: text("id").primaryKey(),
  sessionId: text("session_id").notNull().references(() => sessions.id, { onDelete: "cascade" }),
  text: text("text").notNull(),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull()
}, (table) => [
  index("example_notes_session_idx").on(table.sessionId, table.id),
  index("example_notes_created_at_idx").on(table.createdAt, table.id)
])
