import { Context, type Effect } from "effect"

/**
 * Work queued by `Database.afterCommit` inside a transaction, run once the
 * outermost transaction commits. Its presence in a fiber's context also
 * tells that the fiber is inside a transaction.
 */
export class AfterCommitQueue extends Context.Tag("@makaio/runtime/Database/AfterCommitQueue")<
  AfterCommitQueue,
  Array<Effect.Effect<void>>
>() {}
