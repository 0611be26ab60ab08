import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger } from "effect"
import { Bus } from "../../src/index.js"
import { Happened, withBus } from "./fixtures.js"

interface CapturedLog {
  readonly message: unknown
  readonly annotations: Record<string, unknown>
  readonly level: string
}

/** A logger that keeps every entry, for assertions. */
const captureLogs = (logs: Array<CapturedLog>) =>
  Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ annotations, logLevel, message }) => {
      logs.push({ message, annotations: Object.fromEntries(annotations), level: logLevel.label })
    })
  )

describe("Bus events", () => {
  it.scoped("failing subscriber is logged", () => {
    const logs: Array<CapturedLog> = []
    const unhandled: Array<unknown> = []
    const onUnhandled = (reason: unknown) => void unhandled.push(reason)
    process.on("unhandledRejection", onUnhandled)

    return withBus(Effect.gen(function*() {
      const received: Array<string> = []
      yield* Bus.subscribe(Happened, ({ id }) => Effect.sync(() => void received.push(`first:${id}`)), { label: "first" })
      yield* Bus.subscribe(Happened, () => Effect.fail(new Error("subscriber broke")), { label: "second" })
      yield* Bus.subscribe(Happened, ({ id }) => Effect.sync(() => void received.push(`third:${id}`)), { label: "third" })

      yield* Bus.emit(Happened, { id: 7 })

      expect(received).toEqual(["first:7", "third:7"])
      expect(logs).toHaveLength(1)
      expect(logs[0]).toMatchObject({ level: "ERROR", annotations: { subject: "test:happened", subscriber: "second" } })
      expect(unhandled).toEqual([])
    }).pipe(
      Effect.provide(captureLogs(logs)),
      Effect.ensuring(Effect.sync(() => process.off("unhandledRejection", onUnhandled)))
    ))
  })

  it.scoped("dying subscriber is logged", () => {
    const logs: Array<CapturedLog> = []
    return withBus(Effect.gen(function*() {
      let after = 0
      yield* Bus.subscribe(Happened, () => Effect.die(new Error("died")), { label: "dies" })
      yield* Bus.subscribe(Happened, () => Effect.sync(() => after++))

      yield* Bus.emit(Happened, { id: 1 })

      expect(after).toBe(1)
      expect(logs.map((entry) => entry.annotations.subscriber)).toEqual(["dies"])
    }).pipe(Effect.provide(captureLogs(logs))))
  })

  it.scoped("emit without subscribers", () =>
    withBus(Effect.gen(function*() {
      yield* Bus.emit(Happened, { id: 1 })
      expect((yield* Bus.describe).subjects).toEqual([])
    })))
})
