import { Context, type Effect } from "effect"

/**
 * Work queued by `Database.afterCommit` inside a transaction, run once the
 * outermost transaction commits. Its presence in a fiber's context also
 * shows that the fiber is inside a transaction.
 */
export class AfterCommitQueue extends Context.Tag("@makaio/runtime/Database/AfterCommitQueue")<
  AfterCommitQueue,
  Array<Effect.Effect<void>>
>() {}

/** Tells whether a fiber with this context runs inside a `Database.transaction`. */
export const isInTransaction = (context: Context.Context<never>): boolean => context.unsafeMap.has(AfterCommitQueue.key)
