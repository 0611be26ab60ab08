import { Clock, Duration, Effect, Layer, Schema } from "effect"
import { Bus } from "../bus/Bus.js"
import * as Subject from "../bus/Subject.js"
import type { RequestSubject } from "../bus/Subject.js"
import * as Extension from "../kernel/Extension.js"
import { Database } from "../storage/Database.js"
import type { AnyCrudNamespace } from "../storage/StorageNamespace.js"
import { CacheStore } from "./internal/cacheStore.js"

/** Options of a storage cache. */
export interface StorageCacheOptions {
  /** Priority of the cache's handlers; default 100, above the backends' default of 0. */
  readonly priority?: number
  /** How long an entry stays valid; default 5 minutes. `"none"` keeps entries until invalidated or evicted. */
  readonly timeToLive?: Duration.DurationInput | "none"
  /** The largest number of entries; the least recently used is evicted beyond it. Default 10,000. */
  readonly capacity?: number
}

/** What a cache has done since it started. */
export const CacheStats = Schema.Struct({
  /** Reads answered from the cache. */
  hits: Schema.Number,
  /** Reads passed to the backend. */
  misses: Schema.Number,
  /** Entries dropped to stay within capacity. */
  evictions: Schema.Number,
  /** Entries dropped because a write changed what they answer. */
  invalidations: Schema.Number,
  /** Entries held now. */
  size: Schema.Number
})
export type CacheStats = typeof CacheStats.Type

/** The subject that returns a namespace cache's statistics: `cache:<domain>.stats`. */
export const statsSubject = (namespace: AnyCrudNamespace) =>
  Subject.request(`cache:${namespace.domain}.stats`, { request: Schema.Struct({}), response: CacheStats })

/** Returns the statistics of a namespace's cache through the bus. */
export const stats = (namespace: AnyCrudNamespace) => Bus.request(statsSubject(namespace), {})

/**
 * Stable text for a value: object keys sorted, so requests that differ only
 * in key order share an entry.
 */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0)))
      : inner)

const getKey = (key: string) => `get:${key}`
const isListKey = (key: string) => key.startsWith("list:")

/** Reads and writes a cached response in its encoded form, so hits never share objects with callers. */
const responseCodec = (subject: RequestSubject.Any) => ({
  encode: Schema.encodeSync(subject.response),
  decode: Schema.decodeSync(subject.response)
})

/**
 * Registers the cache's handlers on a namespace for as long as the scope
 * lives: reads are answered from the cache when they can be, writes pass
 * through and then invalidate, and `changed` events invalidate too.
 */
const register = (namespace: AnyCrudNamespace, options: StorageCacheOptions) =>
  Effect.gen(function*() {
    const bus = yield* Bus
    const store = new CacheStore(checkCapacity(options.capacity ?? 10_000))
    const timeToLive = options.timeToLive === "none" ? Infinity : Duration.toMillis(options.timeToLive ?? Duration.minutes(5))
    const handleOptions = { priority: options.priority ?? 100, label: `cache:${namespace.domain}` }
    const { subjects } = namespace
    const { keyParam } = namespace.model

    /** Answers from the cache, or reads below it once and stores what it returned. */
    const cachedRead = <A, E>(subject: RequestSubject.Any, key: string, next: Effect.Effect<A, E>) => {
      const codec = responseCodec(subject)
      return Effect.gen(function*() {
        // Inside a transaction a read may see writes that are later rolled back, so it is never cached.
        if (yield* Database.inTransaction) {
          return yield* next
        }
        const now = yield* Clock.currentTimeMillis
        const entry = store.lookup(key, now)
        if (entry !== undefined) {
          store.counters.hits++
          return codec.decode(entry.encoded) as A
        }
        store.counters.misses++
        return yield* store.readThrough(key, next, (value) => store.store(key, codec.encode(value), now + timeToLive))
      })
    }

    const invalidateKey = (key: string) =>
      Effect.sync(() => store.invalidate((candidate) => candidate === getKey(key) || isListKey(candidate)))

    yield* bus.handle(subjects.get, ({ next, payload }) =>
      cachedRead(subjects.get, getKey(payload[keyParam] as string), next()), handleOptions)

    yield* bus.handle(subjects.list, ({ next, payload }) =>
      cachedRead(subjects.list, `list:${canonical(Schema.encodeSync(subjects.list.request)(payload))}`, next()), handleOptions)

    // Writes invalidate after the backend ran (whatever the outcome), so a read that started earlier cannot store its result later.
    for (const subject of [subjects.set, subjects.delete]) {
      yield* bus.handle(subject, ({ next, payload }) =>
        Effect.ensuring(next(), invalidateKey(payload[keyParam] as string)), handleOptions)
    }

    yield* bus.subscribe(subjects.changed, ({ key }) => invalidateKey(key), { ...handleOptions, synchronous: true })

    yield* bus.handle(statsSubject(namespace), () =>
      Effect.sync(() => ({ ...store.counters, size: store.size })), { label: handleOptions.label, synchronous: true })
  })

const checkCapacity = (capacity: number): number => {
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new TypeError(`Invalid cache capacity ${capacity}: use a positive integer.`)
  }
  return capacity
}

/**
 * A Layer that puts a cache in front of a CRUD namespace, whatever backend
 * serves it. Its handlers sit above the backend's (priority 100 by default):
 * - `get` and `list` answer hits from the cache and call `next` on a miss,
 *   storing the result, "not found" and empty pages included. Concurrent
 *   misses of one key call `next` once and share its result; a failure is
 *   never stored. Requests that differ only in key order share an entry.
 * - `set` and `delete` pass through, then drop the entity's entry and every
 *   cached list. A read that started before the write never stores its
 *   result afterwards. `changed` events invalidate the same way, so writes
 *   that bypass the cache invalidate it too.
 * - Reads inside `Database.transaction` bypass the cache.
 *
 * Statistics are served on `cache:<domain>.stats` (see `stats`). Time comes
 * from Effect's `Clock`, so `TestClock` controls expiry.
 */
export const layer = (namespace: AnyCrudNamespace, options: StorageCacheOptions = {}): Layer.Layer<never, never, Bus> =>
  Layer.scopedDiscard(register(namespace, options))

/** The cache as an extension named `cache-<domain>`, for `Kernel.layer`. */
export const extension = (namespace: AnyCrudNamespace, options: StorageCacheOptions = {}): Extension.Extension =>
  Extension.make({ name: `cache-${namespace.domain}`, layer: layer(namespace, options) })
