import { Cause, Deferred, Effect, type Exit } from "effect"

/** Counters of one cache; see `CacheStats` in `StorageCache`. */
export interface Counters {
  hits: number
  misses: number
  evictions: number
  invalidations: number
}

interface Entry {
  /** A private copy of the response; every hit returns a copy of it. */
  readonly value: unknown
  readonly expiresAt: number
}

/** A read below the cache that has not finished yet; later misses of the same key wait for it. */
interface Fill {
  readonly result: Deferred.Deferred<unknown, unknown>
  /** Set when a write invalidated the key while the read ran: its result is returned but not stored. */
  stale: boolean
}

/**
 * Entries in least-recently-used order (a `Map` keeps insertion order, and a
 * hit moves its entry to the end), with the reads in flight beside them.
 */
export class CacheStore {
  readonly counters: Counters = { hits: 0, misses: 0, evictions: 0, invalidations: 0 }
  readonly #entries = new Map<string, Entry>()
  readonly #fills = new Map<string, Fill>()
  #lastUsed: string | undefined

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.#entries.size
  }

  /** Returns a live entry and marks it recently used; drops it when expired. */
  lookup(key: string, now: number): Entry | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= now) {
      this.#entries.delete(key)
      return undefined
    }
    // Moving the entry to the end marks it most recently used; the last key used is already there.
    if (key !== this.#lastUsed) {
      this.#entries.delete(key)
      this.#entries.set(key, entry)
      this.#lastUsed = key
    }
    return entry
  }

  /** Stores an entry, evicting the least recently used ones beyond capacity. */
  store(key: string, value: unknown, expiresAt: number): void {
    this.#entries.delete(key)
    this.#entries.set(key, { value, expiresAt })
    this.#lastUsed = key
    while (this.#entries.size > this.capacity) {
      this.#entries.delete(this.#entries.keys().next().value!)
      this.counters.evictions++
    }
  }

  /** Drops the entries whose keys match and marks their reads in flight stale. */
  invalidate(matches: (key: string) => boolean): void {
    for (const key of [...this.#entries.keys()]) {
      if (matches(key)) {
        this.#entries.delete(key)
        this.counters.invalidations++
      }
    }
    for (const [key, fill] of this.#fills) {
      if (matches(key)) fill.stale = true
    }
  }

  /**
   * Reads through the cache's backend once per key at a time: the first miss
   * runs `read`, and concurrent misses of the same key wait for its result.
   * A result is stored only when it succeeded and no write invalidated the key
   * meanwhile; a failure is returned to every waiter and never stored.
   */
  readThrough<A, E>(
    key: string,
    read: Effect.Effect<A, E>,
    save: (value: A) => void
  ): Effect.Effect<A, E> {
    const running = this.#fills.get(key)
    if (running !== undefined) {
      this.counters.hits++
      // If the first reader was interrupted, its waiters read again rather than fail.
      return Effect.catchAllCause(Deferred.await(running.result) as Effect.Effect<A, E>, (cause) =>
        Cause.isInterruptedOnly(cause) ? this.readThrough(key, read, save) : Effect.failCause(cause))
    }
    this.counters.misses++
    return Effect.flatMap(Deferred.make<unknown, unknown>(), (result) => {
      const fill: Fill = { result, stale: false }
      this.#fills.set(key, fill)
      return read.pipe(
        Effect.onExit((exit: Exit.Exit<A, E>) =>
          Effect.suspend(() => {
            this.#fills.delete(key)
            if (exit._tag === "Success" && !fill.stale) save(exit.value)
            return Deferred.done(result, exit)
          }))
      )
    })
  }
}
