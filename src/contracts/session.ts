import { Schema } from "effect"
import * as StorageNamespace from "../storage/StorageNamespace.js"

/** A JSON value: what survives `JSON.stringify` and `JSON.parse` unchanged. */
export type JsonValue = null | boolean | number | string | ReadonlyArray<JsonValue> | { readonly [key: string]: JsonValue }

/** The schema of a JSON value; numbers must be finite, because JSON has no NaN or Infinity. */
export const JsonValue: Schema.Schema<JsonValue> = Schema.Union(
  Schema.Null,
  Schema.Boolean,
  Schema.Number.pipe(Schema.finite()),
  Schema.String,
  Schema.Array(Schema.suspend(() => JsonValue)),
  Schema.Record({ key: Schema.String, value: Schema.suspend(() => JsonValue) })
)

/** A JSON object, the shape of free-form metadata. */
export const JsonObject = Schema.Record({ key: Schema.String, value: JsonValue })
export type JsonObject = typeof JsonObject.Type

/** The range of a signed 64-bit integer, which SQL databases store natively. */
export const Int64 = Schema.BigInt.pipe(Schema.betweenBigInt(-(2n ** 63n), 2n ** 63n - 1n))

/** A session: the unit of work the runtime stores for its users. */
export const MakaioSession = Schema.Struct({
  id: Schema.String,
  status: Schema.String,
  /** `null` for an untitled session. */
  title: Schema.NullOr(Schema.String),
  metadata: JsonObject,
  createdAt: Schema.Date,
  updatedAt: Schema.Date,
  /** A version counter that callers advance; any signed 64-bit integer. */
  version: Int64
})
export type MakaioSession = typeof MakaioSession.Type

/**
 * Session storage: `storage:session.get`, `.set`, `.delete`, `.list` and the
 * `storage:session.changed` event. List filters on `status` directly and on
 * the other fields through `where`.
 */
export const SessionStorage = StorageNamespace.crud("session", {
  entity: MakaioSession,
  key: "id",
  keyParam: "sessionId",
  entityParam: "session",
  collectionParam: "sessions",
  directFilters: ["status"],
  filterable: ["id", "status", "title", "createdAt", "updatedAt", "version"],
  sortable: ["status", "title", "createdAt", "updatedAt", "version"],
  timestamps: { createdAt: "createdAt", updatedAt: "updatedAt" }
})

/** The subjects of session storage, under their name in the Promise-based original API. */
export const SessionStorageSubjects = SessionStorage.subjects
