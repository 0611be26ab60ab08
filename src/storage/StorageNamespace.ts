import { Effect, Schema } from "effect"
import { Bus, type Namespace } from "../bus/Bus.js"
import type { NamespaceConflictError } from "../bus/BusError.js"
import * as Subject from "../bus/Subject.js"
import type { EventSubject, FailureSchema, RequestSubject } from "../bus/Subject.js"
import { type ListModel, type ListQuery, makeModel, querySchemaFields, rejectUnknownFields } from "./ListQuery.js"
import { StorageError } from "./StorageError.js"

/** The schemas of one storage operation. */
export interface OperationSchemas {
  readonly request: Schema.Schema.AnyNoContext
  readonly response: Schema.Schema.AnyNoContext
  /** Declared failures; every storage operation also declares `StorageError`. */
  readonly failure?: FailureSchema
}

/** The operations of a namespace, by name. */
export type OperationMap<Schemas> = { readonly [Operation in keyof Schemas]: OperationSchemas }

/** The payload of `storage:<domain>.changed`: which write happened to which key. */
export const ChangedEvent = Schema.Struct({
  operation: Schema.Literal("set", "delete"),
  key: Schema.String
})
export type ChangedEvent = typeof ChangedEvent.Type

/** Every operation declares `StorageError` besides its own failures. */
type FailureOf<S extends OperationSchemas> = Schema.Schema<
  StorageError | (S["failure"] extends FailureSchema ? Schema.Schema.Type<S["failure"]> : never),
  unknown
>

/** The request subjects of a namespace, one per operation, plus its `changed` event. */
export type NamespaceSubjects<Domain extends string, Schemas extends OperationMap<Schemas>> =
  & {
    readonly [Operation in keyof Schemas & string]: RequestSubject<
      `storage:${Domain}.${Operation}`,
      Schemas[Operation]["request"],
      Schemas[Operation]["response"],
      FailureOf<Schemas[Operation]>
    >
  }
  & { readonly changed: EventSubject<`storage:${Domain}.changed`, typeof ChangedEvent> }

/** A storage domain and its subjects, named `storage:<domain>.<operation>`. */
export interface StorageNamespace<
  Domain extends string = string,
  Schemas extends OperationMap<Schemas> = Record<string, OperationSchemas>
> {
  readonly domain: Domain
  /** The name the namespace is registered under on the bus: `storage:<domain>`. */
  readonly name: `storage:${Domain}`
  readonly subjects: NamespaceSubjects<Domain, Schemas>
}

const domainPattern = /^[a-z][a-zA-Z0-9_-]*$/

const checkDomain = (domain: string): void => {
  if (!domainPattern.test(domain)) {
    throw new TypeError(
      `Invalid storage domain ${JSON.stringify(domain)}: start with a lowercase letter, then use letters, digits, "_" or "-".`
    )
  }
  if (domain === "changed") {
    throw new TypeError(`"changed" is reserved for the change event of each namespace.`)
  }
}

/**
 * Builds a namespace from the schemas of its operations. Each operation
 * becomes a request subject `storage:<domain>.<operation>` that also declares
 * `StorageError`; `subjects.changed` is the event backends emit after writes.
 * Throws a `TypeError` for an invalid domain or an operation named `changed`.
 */
export const make = <const Domain extends string, const Schemas extends OperationMap<Schemas>>(
  domain: Domain,
  definition: { readonly schemas: Schemas }
): StorageNamespace<Domain, Schemas> => {
  checkDomain(domain)
  const subjects: Record<string, unknown> = {}
  for (const [operation, schemas] of Object.entries<OperationSchemas>(definition.schemas)) {
    if (operation === "changed") {
      throw new TypeError(`The operation name "changed" is reserved for the change event of namespace "${domain}".`)
    }
    subjects[operation] = Subject.request(`storage:${domain}.${operation}`, {
      request: schemas.request,
      response: schemas.response,
      failure: schemas.failure === undefined ? StorageError : Schema.Union(schemas.failure, StorageError)
    })
  }
  subjects.changed = Subject.event(`storage:${domain}.changed`, ChangedEvent)
  return { domain, name: `storage:${domain}`, subjects: subjects as NamespaceSubjects<Domain, Schemas> }
}

/** The name of `make` in the Promise-based original API. */
export const createStorageNamespace = make

/**
 * Registers a namespace with the bus, so `describe` lists it. Registering the
 * same definition again does nothing; another definition under the same
 * domain fails with `NamespaceConflictError`.
 */
export const register = (namespace: Namespace): Effect.Effect<void, NamespaceConflictError, Bus> =>
  Bus.registerNamespace(namespace)

// ---------------------------------------------------------------------------
// CRUD namespaces
// ---------------------------------------------------------------------------

type AnyStruct = Schema.Struct<any>
type EntityOf<O extends CrudOptions> = Schema.Schema.Type<O["entity"]>
type FieldName<O extends CrudOptions> = keyof EntityOf<O> & string

/** Options of `crud`. Field names are checked against the entity schema when the namespace is built. */
export interface CrudOptions<Entity extends AnyStruct = AnyStruct> {
  /** The entity schema: a struct whose fields are what a backend stores. */
  readonly entity: Entity
  /** The key field: a non-null string field. */
  readonly key: keyof Schema.Schema.Type<Entity> & string
  /** The key's name in get, set and delete payloads; default `<domain>Id`. */
  readonly keyParam?: string
  /** The entity's name in payloads and responses; default `<domain>`. */
  readonly entityParam?: string
  /** The name of the list of entities in list responses; default `<domain>s`. */
  readonly collectionParam?: string
  /** Fields that `where` may filter on. */
  readonly filterable?: ReadonlyArray<keyof Schema.Schema.Type<Entity> & string>
  /** Fields that `orderBy` may sort by. */
  readonly sortable?: ReadonlyArray<keyof Schema.Schema.Type<Entity> & string>
  /** Fields that list accepts as top-level equality filters, like `{ status: "open" }`. */
  readonly directFilters?: ReadonlyArray<keyof Schema.Schema.Type<Entity> & string>
  /**
   * Date fields the backend maintains: on every `set` it keeps the stored
   * `createdAt` of an existing entity and sets `updatedAt` to the current time,
   * always later than the stored one.
   */
  readonly timestamps?: {
    readonly createdAt: keyof Schema.Schema.Type<Entity> & string
    readonly updatedAt: keyof Schema.Schema.Type<Entity> & string
  }
  /** Default page size; 50 unless set. */
  readonly defaultLimit?: number
  /** Largest page size; 1,000 unless set. */
  readonly maxLimit?: number
}

type Param<O, Name extends string, Default extends string> = O extends { readonly [K in Name]: infer P extends string } ? P
  : Default

type KeyParam<D extends string, O extends CrudOptions> = Param<O, "keyParam", `${D}Id`>
type EntityParam<D extends string, O extends CrudOptions> = Param<O, "entityParam", D>
type CollectionParam<D extends string, O extends CrudOptions> = Param<O, "collectionParam", `${D}s`>
type Listed<O extends CrudOptions, Name extends "filterable" | "sortable" | "directFilters"> = O[Name] extends
  ReadonlyArray<infer F extends string> ? F & FieldName<O> : never

/** The type of a list request of a CRUD namespace. */
export type ListRequest<O extends CrudOptions> =
  & { readonly [K in Listed<O, "directFilters">]?: NonNullable<EntityOf<O>[K]> }
  & ListQuery<EntityOf<O>, Listed<O, "filterable">, Listed<O, "sortable">>

type EncodedOf<O extends CrudOptions> = Schema.Schema.Encoded<O["entity"]>
type KeyPayload<D extends string, O extends CrudOptions> = { readonly [K in KeyParam<D, O>]: string }

/** The operations of a CRUD namespace, with the payload and response shapes of each. */
export interface CrudSchemas<D extends string, O extends CrudOptions> {
  readonly get: {
    readonly request: Schema.Schema<KeyPayload<D, O>, KeyPayload<D, O>>
    readonly response: Schema.Schema<
      { readonly [K in EntityParam<D, O>]: EntityOf<O> | null },
      { readonly [K in EntityParam<D, O>]: EncodedOf<O> | null }
    >
  }
  readonly set: {
    readonly request: Schema.Schema<
      KeyPayload<D, O> & { readonly [K in EntityParam<D, O>]: EntityOf<O> },
      KeyPayload<D, O> & { readonly [K in EntityParam<D, O>]: EncodedOf<O> }
    >
    readonly response: Schema.Schema<{ readonly success: boolean }>
  }
  readonly delete: {
    readonly request: Schema.Schema<KeyPayload<D, O>, KeyPayload<D, O>>
    readonly response: Schema.Schema<{ readonly deleted: boolean }>
  }
  readonly list: {
    readonly request: Schema.Schema<ListRequest<O>, Record<string, unknown>>
    readonly response: Schema.Schema<
      & { readonly [K in CollectionParam<D, O>]: ReadonlyArray<EntityOf<O>> }
      & { readonly nextCursor: string | null; readonly total?: number },
      Record<string, unknown>
    >
  }
}

/** The description of a CRUD namespace that backends implement it from, whatever its entity. */
export interface CrudModel {
  readonly entity: Schema.Schema<Record<string, unknown>, Record<string, unknown>>
  readonly keyParam: string
  readonly entityParam: string
  readonly collectionParam: string
  readonly list: ListModel
  readonly timestamps: { readonly createdAt: string; readonly updatedAt: string } | undefined
}

/** A namespace with the standard get, set, delete and list operations of one entity. */
export interface CrudNamespace<D extends string = string, O extends CrudOptions = CrudOptions>
  extends StorageNamespace<D, CrudSchemas<D, O>>
{
  readonly model: CrudModel
}

/**
 * Any CRUD namespace, whatever its entity: what backends accept, since they
 * implement the operations without knowing the entity's type.
 */
export interface AnyCrudNamespace {
  readonly domain: string
  readonly name: string
  readonly model: CrudModel
  readonly subjects: {
    readonly get: RequestSubject.Any
    readonly set: RequestSubject.Any
    readonly delete: RequestSubject.Any
    readonly list: RequestSubject.Any
    readonly changed: EventSubject<string, typeof ChangedEvent>
  }
}

/**
 * Builds a namespace with the standard operations of one entity:
 * - get `{ <key> }` → `{ <entity> | null }`
 * - set `{ <key>, <entity> }` → `{ success }`, an upsert; the key must equal the entity's key field
 * - delete `{ <key> }` → `{ deleted }`, whether an entity was removed
 * - list `{ <direct filters>?, where?, orderBy?, limit?, cursor?, count? }` → `{ <entities>, nextCursor, total? }`
 *
 * Throws a `TypeError` naming the field when an option names a field the
 * entity does not have or one that cannot be compared.
 */
export const crud = <const D extends string, const O extends CrudOptions>(domain: D, options: O): CrudNamespace<D, O> => {
  const list = makeModel(options.entity, {
    key: options.key,
    filterable: options.filterable,
    sortable: options.sortable,
    directFilters: options.directFilters,
    defaultLimit: options.defaultLimit,
    maxLimit: options.maxLimit
  })
  // Entity schemas must not need services; the option type cannot express that without making inference worse.
  const entity = options.entity as unknown as Schema.Schema<Record<string, unknown>, Record<string, unknown>>
  const model: CrudModel = {
    entity,
    keyParam: options.keyParam ?? `${domain}Id`,
    entityParam: options.entityParam ?? domain,
    collectionParam: options.collectionParam ?? `${domain}s`,
    list,
    timestamps: options.timestamps
  }
  checkTimestamps(model)

  const keyRequest = Schema.Struct({ [model.keyParam]: Schema.String })
  const setRequest = Schema.Struct({ [model.keyParam]: Schema.String, [model.entityParam]: entity }).pipe(
    Schema.filter((payload: Record<string, unknown>) =>
      (payload[model.entityParam] as Record<string, unknown>)[list.key.name] === payload[model.keyParam] || {
        path: [model.entityParam, list.key.name],
        message: `must equal ${model.keyParam}`
      })
  )

  const namespace = make(domain, {
    schemas: {
      get: { request: keyRequest, response: Schema.Struct({ [model.entityParam]: Schema.NullOr(entity) }) },
      set: { request: setRequest, response: Schema.Struct({ success: Schema.Boolean }) },
      delete: { request: keyRequest, response: Schema.Struct({ deleted: Schema.Boolean }) },
      list: {
        request: rejectUnknownFields(Schema.Struct(querySchemaFields(list)) as unknown as Schema.Schema<Record<string, unknown>>),
        response: Schema.Struct({
          [model.collectionParam]: Schema.Array(entity),
          nextCursor: Schema.NullOr(Schema.String),
          total: Schema.optional(Schema.Number)
        })
      }
    }
  })
  return { ...namespace, model } as unknown as CrudNamespace<D, O>
}

const checkTimestamps = (model: CrudModel): void => {
  if (model.timestamps === undefined) return
  for (const name of [model.timestamps.createdAt, model.timestamps.updatedAt]) {
    const field = model.list.fields.get(name)
    if (field === undefined || field.kind !== "date" || field.nullable) {
      throw new TypeError(`The timestamp field "${name}" must be a non-null Date field of the entity.`)
    }
  }
}
