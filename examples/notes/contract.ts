import { Schema } from "effect"
import { StorageNamespace } from "../../src/index.js"

/** A note attached to a session. */
export const Note = Schema.Struct({
  id: Schema.String,
  sessionId: Schema.String,
  text: Schema.String,
  createdAt: Schema.Date,
  updatedAt: Schema.Date
})
export type Note = typeof Note.Type

/**
 * Note storage: `storage:note.get`, `.set`, `.delete`, `.list` and
 * `storage:note.changed`. List filters directly on `sessionId`.
 */
export const NoteStorage = StorageNamespace.crud("note", {
  entity: Note,
  key: "id",
  directFilters: ["sessionId"],
  filterable: ["sessionId", "createdAt", "text"],
  sortable: ["createdAt"],
  timestamps: { createdAt: "createdAt", updatedAt: "updatedAt" }
})
