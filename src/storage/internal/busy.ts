import BetterSqlite3 from "better-sqlite3"
import { Clock, Context, Duration, Effect } from "effect"

/** How long to keep retrying a statement another process's lock blocks, and when to stop early. */
export interface BusyBudget {
  readonly busyTimeoutMillis: number
  /** An absolute deadline (epoch milliseconds from Effect's `Clock`), such as a request's. */
  readonly deadline?: number | undefined
}

/** The reason retrying stopped. */
export type BusyOutcome = "busy" | "deadline"

const isBusy = (cause: unknown): boolean =>
  cause instanceof BetterSqlite3.SqliteError && (cause.code === "SQLITE_BUSY" || cause.code.startsWith("SQLITE_BUSY_"))

const firstDelayMillis = 1
const maxDelayMillis = 50

/**
 * Runs `attempt`, retrying it while SQLite reports that another process holds
 * the database lock. The driver's own busy handler would sleep the whole
 * thread and freeze every fiber and timer. So the connection's busy timeout
 * is 0, and the waiting happens here between attempts, on Effect's clock
 * (1 ms at first, doubling up to 50 ms). Gives up when the busy budget
 * or the deadline runs out, with `onGiveUp`; any other error thrown goes to
 * `onError`. `attempt` must change nothing when it fails with SQLITE_BUSY: a
 * single statement, or statements inside a transaction that already holds
 * the write lock.
 */
export const retryWhileBusy = <A, E>(
  attempt: () => Effect.Effect<A, E>,
  budget: BusyBudget,
  onError: (cause: unknown) => E,
  onGiveUp: (outcome: BusyOutcome, waitedMillis: number) => E
): Effect.Effect<A, E> => {
  const tryOnce = (waited: number, delay: number, started: number | undefined): Effect.Effect<A, E> => {
    try {
      return attempt()
    } catch (cause) {
      if (!isBusy(cause)) return Effect.fail(onError(cause))
      return Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const start = started ?? now
        if (budget.deadline !== undefined && now + delay > budget.deadline) return Effect.fail(onGiveUp("deadline", now - start))
        if (waited + delay > budget.busyTimeoutMillis) return Effect.fail(onGiveUp("busy", waited))
        return Effect.zipRight(Effect.sleep(Duration.millis(delay)), Effect.suspend(() =>
          tryOnce(waited + delay, Math.min(delay * 2, maxDelayMillis), start)))
      })
    }
  }
  return tryOnce(0, firstDelayMillis, undefined)
}

/** Reads the current time from a fiber's `Clock`. */
export const nowFrom = (defaultServices: Context.Context<never>): number =>
  Context.get(defaultServices as Context.Context<Clock.Clock>, Clock.Clock).unsafeCurrentTimeMillis()
