import { Effect } from "effect"

/**
 * The lock of a single-connection database, held by a transaction for its
 * whole duration. Statements outside a transaction run synchronously, so
 * they only need to wait while another fiber's transaction holds the lock.
 * Waiters are served in arrival order.
 */
export class ConnectionLock {
  #held = false
  readonly #waiters: Array<() => void> = []

  /**
   * The transaction's connection handle while a transaction holds the lock.
   * Fibers that carry this handle in their context belong to that
   * transaction; fibers that carry an older one outlived theirs.
   */
  owner: object | undefined = undefined

  /** Set when the database is closed; nothing may use the connection afterwards. */
  closed = false

  /** Whether a transaction holds the lock now. */
  get held(): boolean {
    return this.#held
  }

  /** Waits until the lock is free, without taking it. */
  readonly awaitFree: Effect.Effect<void> = Effect.suspend(() =>
    this.#held ? Effect.zipRight(this.acquire, Effect.sync(() => this.release())) : Effect.void
  )

  /** Waits for the lock and takes it. Interrupting the wait gives up the place in the queue. */
  readonly acquire: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (!this.#held) {
      this.#held = true
      return resume(Effect.void)
    }
    const waiter = () => resume(Effect.void)
    this.#waiters.push(waiter)
    return Effect.sync(() => {
      const index = this.#waiters.indexOf(waiter)
      if (index >= 0) {
        this.#waiters.splice(index, 1)
      } else {
        // The lock was handed to this waiter just as it was interrupted: pass it on.
        this.release()
      }
    })
  })

  /** Releases the lock, handing it to the next waiter if there is one. */
  release(): void {
    this.owner = undefined
    const next = this.#waiters.shift()
    if (next === undefined) {
      this.#held = false
    } else {
      next()
    }
  }
}
