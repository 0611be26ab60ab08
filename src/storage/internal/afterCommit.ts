import { Context, type Effect } from "effect"

/**
 * One level of a running `Database.transaction`: the work to run after the
 * outermost commit, and the lock that makes nested transactions of this level
 * run one after another. A fiber that outlives its transaction still carries
 * this in its context, so `open` tells whether it still applies.
 */
export interface TransactionLevel {
  /** Work queued by `Database.afterCommit`, run once the outermost transaction commits. */
  readonly queue: Array<Effect.Effect<void>>
  readonly children: Effect.Semaphore
  readonly parent: TransactionLevel | undefined
  /** The connection handle of the outermost transaction, set once it began. */
  handle: object | undefined
  /** False once this level committed or rolled back. */
  open: boolean
}

/** The transaction level a fiber runs in, when it runs in one. */
export class ActiveTransaction extends Context.Tag("@makaio/runtime/Database/ActiveTransaction")<
  ActiveTransaction,
  TransactionLevel
>() {}

/** Tells whether a fiber with this context runs inside a `Database.transaction` that has not ended. */
export const isInTransaction = (context: Context.Context<never>): boolean => {
  const level = context.unsafeMap.get(ActiveTransaction.key) as TransactionLevel | undefined
  return level !== undefined && level.open
}
