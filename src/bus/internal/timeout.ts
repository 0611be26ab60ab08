import { Clock, Context, Duration, Effect, Exit, Fiber, type FiberId, FiberRef, FiberRefs, Option, Runtime } from "effect"
import { RequestTimeoutError } from "../BusError.js"

/** Counts the requests whose handler fiber is still running, for `describe`. */
export interface PendingCounter {
  value: number
}

/**
 * Nesting depth of child fibers being started synchronously. A handler that
 * sends a request starts the next child inside the current one's call stack,
 * so past this depth children start on the scheduler instead, which unwinds
 * the stack.
 */
const maxSynchronousDepth = 64
let synchronousDepth = 0

/**
 * Runs a handler chain with a timeout. A timeout needs a fiber of its own,
 * because Effect interrupts whole fibers, not parts of one. So the chain runs
 * on a child fiber that starts with the caller's services and FiberRefs (a
 * transaction the caller opened still covers it). FiberRef changes made on
 * the child are not copied back: merging them costs more than the request.
 *
 * The child starts synchronously, so a chain that never suspends completes
 * before this function returns, without a timer. A chain that suspends gets a
 * timer from Effect's `Clock` (so `TestClock` controls it). On timeout the
 * child is interrupted and its finalizers finish before the caller sees
 * `RequestTimeoutError`. Interrupting the caller interrupts the child.
 */
export const runWithTimeout = <A, E>(
  run: (deadline: number) => Effect.Effect<A, E>,
  subject: string,
  timeout: Duration.Duration,
  pending: PendingCounter
): Effect.Effect<A, E | RequestTimeoutError> =>
  Effect.withFiberRuntime<A, E | RequestTimeoutError>((parent, status) => {
    const clock = Context.get(parent.currentDefaultServices, Clock.Clock)
    const deadline = clock.unsafeCurrentTimeMillis() + Duration.toMillis(timeout)

    const runtime = Runtime.make({
      context: parent.currentContext,
      fiberRefs: parent.getFiberRefs(),
      runtimeFlags: status.runtimeFlags
    })
    synchronousDepth++
    let child: Fiber.RuntimeFiber<A, E>
    try {
      child = Runtime.runFork(runtime)(Effect.interruptible(run(deadline)), {
        immediate: synchronousDepth <= maxSynchronousDepth,
        updateRefs: silenceUnhandledErrors
      })
    } finally {
      synchronousDepth--
    }

    const exit = child.unsafePoll()
    if (exit !== null) {
      return exit
    }
    pending.value++
    child.addObserver(() => void pending.value--)
    return awaitOrTimeout(child, runtime, subject, timeout)
  })

/** The caller observes the child's failures, so the runtime need not log them as unhandled. */
const silenceUnhandledErrors = (refs: FiberRefs.FiberRefs, fiberId: FiberId.Runtime): FiberRefs.FiberRefs =>
  FiberRefs.updateAs(refs, { fiberId, fiberRef: FiberRef.unhandledErrorLogLevel, value: Option.none() })

const awaitOrTimeout = <A, E>(
  child: Fiber.RuntimeFiber<A, E>,
  runtime: Runtime.Runtime<never>,
  subject: string,
  timeout: Duration.Duration
): Effect.Effect<A, E | RequestTimeoutError> =>
  Effect.async<A, E | RequestTimeoutError>((resume) => {
    let settled = false
    const settle = (): boolean => {
      if (settled) return false
      settled = true
      return true
    }

    const timer = Runtime.runFork(runtime)(Effect.sleep(timeout))

    child.addObserver((exit) => {
      if (!settle()) return
      timer.unsafeInterruptAsFork(child.id())
      resume(exit)
    })

    timer.addObserver((timerExit) => {
      if (Exit.isFailure(timerExit) || !settle()) return
      child.unsafeInterruptAsFork(timer.id())
      child.addObserver(() => resume(Effect.fail(new RequestTimeoutError({ subject, duration: timeout }))))
    })

    // The caller was interrupted: stop the timer and the handler, and wait for the handler's finalizers.
    return Effect.suspend(() => {
      settle()
      timer.unsafeInterruptAsFork(child.id())
      return Fiber.interrupt(child)
    })
  })
