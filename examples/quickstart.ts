/**
 * Quickstart: a bus with a two-handler chain, a few requests and an event,
 * then sessions stored and listed through session storage.
 * Run it with `npm start`.
 */
import { Effect, Layer, Schema } from "effect"
import { Bus, MemoryStorageLayer, SessionStorage, Subject } from "../src/index.js"

class UnknownCity extends Schema.TaggedError<UnknownCity>()("UnknownCity", { city: Schema.String }) {
  override get message(): string {
    return `No temperature is known for ${this.city}`
  }
}

const Weather = Subject.request("demo:weather.get", {
  request: Schema.Struct({ city: Schema.String }),
  response: Schema.Struct({ city: Schema.String, celsius: Schema.Number }),
  failure: UnknownCity
})

const Looked = Subject.event("demo:weather.looked", Schema.Struct({ city: Schema.String }))

const temperatures = new Map([["Lisbon", 19], ["Oslo", -3]])

const program = Effect.gen(function*() {
  // The answering handler, at the default priority 0.
  yield* Bus.handle(Weather, ({ payload }) => {
    const celsius = temperatures.get(payload.city)
    return celsius === undefined
      ? Effect.fail(new UnknownCity({ city: payload.city }))
      : Effect.succeed({ city: payload.city, celsius })
  }, { label: "weather-table" })

  // A logging handler above it: it calls next and reports the outcome.
  yield* Bus.handle(Weather, ({ next, payload }) =>
    next().pipe(
      Effect.tap((result) => Effect.sync(() => console.log(`  [log] ${payload.city} -> ${result.celsius} °C`))),
      Effect.tapError((error) => Effect.sync(() => console.log(`  [log] ${payload.city} -> ${error._tag}`))),
      Effect.tap(() => Bus.emit(Looked, { city: payload.city }))
    ), { priority: 10, label: "logger" })

  let lookups = 0
  yield* Bus.subscribe(Looked, () => Effect.sync(() => void lookups++), { label: "counter" })

  console.log("The chain of demo:weather.get:")
  const description = yield* Bus.describe
  for (const handler of description.subjects.find((subject) => subject.name === Weather.name)!.handlers) {
    console.log(`  priority ${handler.priority}: ${handler.label}`)
  }

  console.log("\nRequests:")
  const lisbon = yield* Bus.request(Weather, { city: "Lisbon" })
  console.log(`  Lisbon is ${lisbon.celsius} °C`)

  const atlantis = yield* Effect.either(Bus.request(Weather, { city: "Atlantis" }))
  console.log(`  Atlantis: ${atlantis._tag === "Left" ? atlantis.left.message : "found"}`)

  // A payload that does not match the schema never reaches a handler.
  const bad = yield* Effect.either(Bus.request(Weather, { city: 42 } as unknown as { city: string }))
  console.log(`  bad payload: ${bad._tag === "Left" ? bad.left.message : "accepted"}`)

  console.log(`\nSuccessful lookups counted by the event subscriber: ${lookups}`)
})

/** Stores a few sessions and lists them; which backend answers is decided by the Layer below. */
const sessions = Effect.gen(function*() {
  const { list, set } = SessionStorage.subjects
  const now = new Date()
  const titles = ["Plan the trip", "Book flights", null]
  for (const [index, title] of titles.entries()) {
    const id = `session-${index + 1}`
    yield* Bus.request(set, {
      sessionId: id,
      session: { id, status: index === 2 ? "closed" : "open", title, metadata: { index }, createdAt: now, updatedAt: now, version: 1n }
    })
  }

  const open = yield* Bus.request(list, { status: "open", orderBy: [{ field: "title" }], count: true })
  console.log(`\nOpen sessions (${open.total}):`)
  for (const session of open.sessions) {
    console.log(`  ${session.id}: ${session.title}`)
  }
})

const AppLayer = MemoryStorageLayer.pipe(Layer.provideMerge(Bus.layer()))

Effect.runPromise(Effect.zipRight(program, sessions).pipe(Effect.scoped, Effect.provide(AppLayer))).catch((error) => {
  console.error(error)
  process.exitCode = 1
})
