import { ParseResult, Schema, type SchemaAST } from "effect"
import { copyJson } from "./internal/json.js"
import * as StorageNamespace from "../storage/StorageNamespace.js"

/** A JSON value: what survives `JSON.stringify` and `JSON.parse` unchanged. */
export type JsonValue = null | boolean | number | string | ReadonlyArray<JsonValue> | { readonly [key: string]: JsonValue }

const jsonCheck = (expectObject: boolean) => () => (input: unknown, _options: unknown, ast: SchemaAST.AST) => {
  if (expectObject && (typeof input !== "object" || input === null || Array.isArray(input))) {
    return ParseResult.fail(new ParseResult.Type(ast, input, "Expected a JSON object"))
  }
  const copied = copyJson(input)
  if ("value" in copied) return ParseResult.succeed(copied.value)
  const { message, path } = copied.problem
  const issue = new ParseResult.Type(ast, input, message)
  return ParseResult.fail(path.length === 0 ? issue : new ParseResult.Pointer(path as [PropertyKey, ...Array<PropertyKey>], input, issue))
}

const jsonSchema = <A extends JsonValue>(expectObject: boolean, identifier: string) =>
  Schema.declare([], {
    decode: jsonCheck(expectObject),
    encode: jsonCheck(expectObject)
  }, {
    identifier,
    description: "null, a boolean, a finite number, a string, an array or a plain object, nested at most 256 levels",
    arbitrary: () => (fc) =>
      (expectObject ? fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 })) : fc.jsonValue({ maxDepth: 4 })).map((value: unknown) => {
        const copied = copyJson(value)
        return ("value" in copied ? copied.value : null) as A
      })
  }) as unknown as Schema.Schema<A>

/**
 * The schema of a JSON value: null, a boolean, a finite number, a string, an
 * array or a plain object, nested at most 256 levels. Values of other types
 * (a `Date`, a `Map`, a class instance) would change in `JSON.stringify`, so
 * they are rejected rather than silently lost. A checked value is a copy.
 */
export const JsonValue: Schema.Schema<JsonValue> = jsonSchema<JsonValue>(false, "JsonValue")

/** A JSON object, the shape of free-form metadata. */
export type JsonObject = { readonly [key: string]: JsonValue }
export const JsonObject: Schema.Schema<JsonObject> = jsonSchema<JsonObject>(true, "JsonObject")

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
