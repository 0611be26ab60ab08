import { Effect, Layer, Schema } from "effect"
import { Bus, Subject } from "../../src/index.js"

/** A subject whose handlers append their label to a trace, so tests can see the dispatch order. */
export const Trace = Subject.request("test:trace", {
  request: Schema.Struct({ value: Schema.String }),
  response: Schema.Struct({ trace: Schema.Array(Schema.String) })
})

export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", { key: Schema.String }) {}

/** A subject with a nested payload and a declared failure. */
export const Lookup = Subject.request("test:lookup", {
  request: Schema.Struct({ user: Schema.Struct({ name: Schema.String, age: Schema.Number }) }),
  response: Schema.Struct({ greeting: Schema.String }),
  failure: NotFound
})

export const Ping = Subject.request("test:ping", {
  request: Schema.Struct({}),
  response: Schema.Literal("pong")
})

export const Happened = Subject.event("test:happened", Schema.Struct({ id: Schema.Number }))

/** Runs a test effect against a fresh bus. */
export const withBus = <A, E, R>(effect: Effect.Effect<A, E, R>, options?: Bus.Options) =>
  Effect.provide(effect, Layer.fresh(Bus.layer(options)))

/** A handler that records its label and passes the request on. */
export const recordAndPass = (label: string, seen: Array<string>) => (context: { next: () => Effect.Effect<any, any> }) =>
  Effect.suspend(() => {
    seen.push(label)
    return context.next()
  })
