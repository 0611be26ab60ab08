import { Clock, Context, Duration, Effect, Either, Layer, Schema } from "effect"
import { Bus } from "../bus/Bus.js"
import * as Subject from "../bus/Subject.js"
import type { RequestSubject } from "../bus/Subject.js"
import * as Extension from "../kernel/Extension.js"
import { isInTransaction } from "../storage/internal/afterCommit.js"
import type { AnyCrudNamespace } from "../storage/StorageNamespace.js"
import { checkSync } from "../bus/internal/validation.js"
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

/** Counters of a cache since it started. */
export const CacheStats = Schema.Struct({
  /** Reads served from the cache. */
  hits: Schema.Number,
  /** Reads passed to the backend; concurrent reads of one key that share a backend read count once, the others as hits. */
  misses: Schema.Number,
  /** Entries dropped to stay within capacity. */
  evictions: Schema.Number,
  /** Entries dropped because a write changed the data they returned. */
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
const canonical = (value: unknown): string => JSON.stringify(value, sortKeys)

const compareKeys = ([left]: readonly [string, unknown], [right]: readonly [string, unknown]): number => {
  if (left === right) return 0
  return left < right ? -1 : 1
}

const sortKeys = (_key: string, inner: unknown): unknown => {
  if (inner === null || typeof inner !== "object" || Array.isArray(inner)) return inner
  return Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(compareKeys))
}

const getKey = (key: string) => `get:${key}`
const isListKey = (key: string) => key.startsWith("list:")

/**
 * Copies a response with the subject's response schema: a copy is stored, and
 * every hit returns another copy, so callers never share objects with the
 * cache. A response the schema rejects is not stored.
 */
const responseCopier = (subject: RequestSubject.Any) => {
  const copy = checkSync(subject.response)
  return (value: unknown): unknown => {
    const copied = copy(value)
    return Either.isRight(copied) ? copied.right : notCopied
  }
}

const notCopied: unique symbol = Symbol("notCopied")

/**
 * Registers the cache's handlers on a namespace for as long as the scope
 * lives: reads are served from the cache when they can be, writes pass
 * through and then invalidate, and `changed` events invalidate too.
 */
const register = (namespace: AnyCrudNamespace, options: StorageCacheOptions) =>
  Effect.gen(function*() {
    const bus = yield* Bus
    const store = new CacheStore(checkCapacity(options.capacity ?? 10_000))
    const timeToLive = options.timeToLive === "none" ? Infinity : Duration.toMillis(options.timeToLive ?? Duration.minutes(5))
    const handleOptions = { priority: options.priority ?? 100, label: `cache:${namespace.domain}`, captureServices: false, synchronous: true }
    const { subjects } = namespace
    const { keyParam } = namespace.model

    /**
     * Returns a cached response, or reads below the cache once and stores the result.
     * The handlers are registered as synchronous because a hit never waits
     * and a miss waits only for the read below it. The bus times that read out
     * unless every handler below is registered as synchronous too.
     */
    const copyGet = responseCopier(subjects.get)
    const copyList = responseCopier(subjects.list)

    const cachedRead = <A, E>(copy: (value: unknown) => unknown, key: string, next: Effect.Effect<A, E>) =>
      Effect.withFiberRuntime<A, E>((fiber) => {
        // Inside a transaction a read may see writes that are later rolled back, so it is never cached.
        if (isInTransaction(fiber.currentContext)) {
          return next
        }
        const now = Context.get(fiber.currentDefaultServices, Clock.Clock).unsafeCurrentTimeMillis()
        const entry = store.lookup(key, now)
        if (entry !== undefined) {
          store.counters.hits++
          return Effect.succeed(copy(entry.value) as A)
        }
        return store.readThrough(key, next, (value) => {
          const stored = copy(value)
          if (stored !== notCopied) store.store(key, stored, now + timeToLive)
        })
      })

    const invalidateKey = (key: string) =>
      Effect.sync(() => store.invalidate((candidate) => candidate === getKey(key) || isListKey(candidate)))

    // `next` is called only on a miss, so handlers below never see the requests the cache serves.
    yield* bus.handle(subjects.get, ({ next, payload }) => {
      const key = payload[keyParam]
      // A key that is not a string is invalid; the backend below rejects it rather than the cache coercing it.
      return typeof key === "string" ? cachedRead(copyGet, getKey(key), Effect.suspend(() => next())) : next()
    }, handleOptions)

    // A payload the list schema cannot encode is invalid; the backend below rejects it with the right error.
    const encodeList = Schema.encodeEither(subjects.list.request)
    yield* bus.handle(subjects.list, ({ next, payload }) => {
      const encoded = encodeList(payload)
      return Either.isLeft(encoded) ? next() : cachedRead(copyList, `list:${canonical(encoded.right)}`, Effect.suspend(() => next()))
    }, handleOptions)

    // Writes invalidate after the backend ran (whatever the outcome), so a read that started earlier cannot store its result later.
    for (const subject of [subjects.set, subjects.delete]) {
      yield* bus.handle(subject, ({ next, payload }) =>
        Effect.ensuring(next(), invalidateKey(String(payload[keyParam]))), handleOptions)
    }

    yield* bus.subscribe(subjects.changed, ({ key }) => invalidateKey(key), handleOptions)

    yield* bus.handle(statsSubject(namespace), () =>
      Effect.sync(() => ({ ...store.counters, size: store.size })), { label: handleOptions.label, synchronous: true, captureServices: false })
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
 * - `get` and `list` serve hits from the cache and call `next` on a miss,
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
