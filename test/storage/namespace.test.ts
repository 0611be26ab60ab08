import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { Bus, createStorageNamespace, MemoryStorage, NamespaceConflictError, SessionStorage, StorageNamespace } from "../../src/index.js"

const Item = Schema.Struct({ id: Schema.String, count: Schema.Number, tags: Schema.Array(Schema.String) })

const withBus = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provide(effect, Layer.fresh(Bus.layer()))

describe("StorageNamespace", () => {
  it("make names subjects after the domain", () => {
    const Notes = StorageNamespace.make("notes", {
      schemas: { get: { request: Schema.Struct({ id: Schema.String }), response: Schema.String } }
    })
    expect(Notes.name).toBe("storage:notes")
    expect(Notes.subjects.get.name).toBe("storage:notes.get")
    expect(Notes.subjects.changed.name).toBe("storage:notes.changed")
    expect(createStorageNamespace).toBe(StorageNamespace.make)
  })

  it("crud uses the default parameter names", () => {
    const Items = StorageNamespace.crud("item", { entity: Item, key: "id" })
    expect(Items.model).toMatchObject({ keyParam: "itemId", entityParam: "item", collectionParam: "items" })
    expect(Object.keys(Items.subjects).sort()).toEqual(["changed", "delete", "get", "list", "set"])
  })

  it("invalid definitions are rejected", () => {
    expect(() => StorageNamespace.crud("item", { entity: Item, key: "missing" as "id" })).toThrow(/"missing" is not a field/)
    expect(() => StorageNamespace.crud("item", { entity: Item, key: "id", sortable: ["tags"] })).toThrow(/"tags" cannot be compared/)
    expect(() => StorageNamespace.crud("item", { entity: Item, key: "count" })).toThrow(/must be a non-null string/)
    expect(() => StorageNamespace.crud("item", { entity: Item, key: "id", maxLimit: 0 })).toThrow(/Invalid list limits/)
    expect(() => StorageNamespace.crud("item", { entity: Item, key: "id", timestamps: { createdAt: "count", updatedAt: "count" } })).toThrow(/timestamp field "count"/)
    expect(() => StorageNamespace.make("Bad Domain", { schemas: {} })).toThrow(/Invalid storage domain/)
    expect(() => StorageNamespace.make("x", { schemas: { changed: { request: Schema.Void, response: Schema.Void } } })).toThrow(/reserved/)
  })

  it.effect("identical registration is harmless", () =>
    withBus(Effect.gen(function*() {
      yield* StorageNamespace.register(SessionStorage)
      yield* StorageNamespace.register(SessionStorage)
      const again = StorageNamespace.crud("item", { entity: Item, key: "id" })
      yield* StorageNamespace.register(StorageNamespace.crud("item", { entity: Item, key: "id" }))
      yield* StorageNamespace.register(again)
      const description = yield* Bus.describe
      expect(description.namespaces.map((namespace) => namespace.name)).toEqual(["storage:item", "storage:session"])
    })))

  it.effect("conflicting registration fails", () =>
    withBus(Effect.gen(function*() {
      yield* StorageNamespace.register(StorageNamespace.crud("item", { entity: Item, key: "id" }))
      const Other = StorageNamespace.crud("item", { entity: Schema.Struct({ id: Schema.String, name: Schema.String }), key: "id" })

      const error = yield* Effect.flip(StorageNamespace.register(Other))

      expect(error).toBeInstanceOf(NamespaceConflictError)
      expect(error).toMatchObject({ namespace: "storage:item" })
      expect(error.message).toContain("storage:item")
    })))

  it.scoped("backend layer reports a conflict", () =>
    withBus(Effect.gen(function*() {
      yield* Layer.buildWithScope(MemoryStorage.crud(StorageNamespace.crud("item", { entity: Item, key: "id" })), yield* Effect.scope)
      const Other = StorageNamespace.crud("item", { entity: Schema.Struct({ id: Schema.String }), key: "id" })
      const exit = yield* Effect.exit(Layer.buildWithScope(MemoryStorage.crud(Other), yield* Effect.scope))
      expect(exit._tag).toBe("Failure")
    })))
})

describe("list cursors", () => {
  it.effect("cursor of another namespace is rejected", () =>
    Effect.gen(function*() {
      const Items = StorageNamespace.crud("item", { entity: Item, key: "id" })
      const Others = StorageNamespace.crud("other", { entity: Item, key: "id" })
      yield* Effect.forEach(["a", "b"], (id) => Effect.all([
        Bus.request(Items.subjects.set, { itemId: id, item: { id, count: 1, tags: [] } }),
        Bus.request(Others.subjects.set, { otherId: id, other: { id, count: 1, tags: [] } })
      ]), { discard: true })

      const page = yield* Bus.request(Items.subjects.list, { limit: 1 })
      const error = yield* Effect.flip(Bus.request(Others.subjects.list, { limit: 1, cursor: page.nextCursor! }))
      expect(error._tag).toBe("InvalidPayloadError")
    }).pipe(Effect.provide(Layer.mergeAll(
      MemoryStorage.crud(StorageNamespace.crud("item", { entity: Item, key: "id" })),
      MemoryStorage.crud(StorageNamespace.crud("other", { entity: Item, key: "id" }))
    ).pipe(Layer.provideMerge(Bus.layer())))))
})

describe("number fields", () => {
  it.effect("infinities are rejected", () =>
    Effect.gen(function*() {
      const Items = StorageNamespace.crud("item", { entity: Item, key: "id", filterable: ["count"], sortable: ["count"] })
      yield* Layer.buildWithScope(MemoryStorage.crud(Items), yield* Effect.scope)

      const set = yield* Effect.flip(Bus.request(Items.subjects.set, { itemId: "a", item: { id: "a", count: Infinity, tags: [] } }))
      const list = yield* Effect.flip(Bus.request(Items.subjects.list, { where: { count: { eq: -Infinity } } }))

      expect(set._tag).toBe("InvalidPayloadError")
      expect(list._tag).toBe("InvalidPayloadError")
    }).pipe(Effect.scoped, Effect.provide(Bus.layer())))
})
