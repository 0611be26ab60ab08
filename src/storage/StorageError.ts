import { Schema } from "effect"
import { SchemaIssue } from "../bus/BusError.js"

/**
 * A stored entity no longer matches its schema (for example a column edited
 * by hand), so it cannot be returned. Other entities stay readable.
 */
export class EntityDecodeError extends Schema.TaggedError<EntityDecodeError>()("EntityDecodeError", {
  namespace: Schema.String,
  key: Schema.String,
  issues: Schema.Array(SchemaIssue)
}) {
  override get message(): string {
    const details = this.issues.map((issue) => `${issue.path.join(".") || "(entity)"}: ${issue.message}`).join("; ")
    return `Stored entity "${this.key}" in namespace "${this.namespace}" cannot be decoded (${details}): ` +
      `repair or delete that row.`
  }
}

/**
 * The storage backend failed: the database was locked by another connection
 * for too long, is full or unreadable, or a constraint such as a foreign key
 * rejected the write. Nothing was written.
 */
export class StorageBackendError extends Schema.TaggedError<StorageBackendError>()("StorageBackendError", {
  namespace: Schema.String,
  operation: Schema.String,
  reason: Schema.String,
  /**
   * The database's error code, for deciding whether to retry: `SQLITE_BUSY`
   * (another connection held the lock past the busy timeout), `LOCK_TIMEOUT`
   * (the request's deadline passed while waiting), `SQLITE_CONSTRAINT_*`, ...
   */
  code: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return `Storage operation "${this.operation}" on namespace "${this.namespace}" failed: ${this.reason}`
  }
}

/** The failures every storage subject declares. */
export const StorageError = Schema.Union(EntityDecodeError, StorageBackendError)
export type StorageError = typeof StorageError.Type
