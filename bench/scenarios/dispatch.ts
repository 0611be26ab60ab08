import { Effect, Layer, ManagedRuntime, Schema } from "effect"
import { ServiceBroker } from "moleculer"
import { Bus, Subject } from "../../src/index.js"
import { type Budget, measure, type Measurement, type Target } from "../harness.js"

const batch = 1_000

const Get = Subject.request("bench:get", {
  request: Schema.Struct({ key: Schema.String }),
  response: Schema.Struct({ value: Schema.NullOr(Schema.Number) })
})

const store = new Map([["k", { value: 1 }]])

/** The memory get handler every variant runs. */
const handler = ({ payload }: { readonly payload: { readonly key: string } }) =>
  Effect.sync(() => ({ value: store.get(payload.key)?.value ?? null }))

/** A runtime with a bus and a chain of `length` handlers, the bottom one answering. */
const busRuntime = (options: Bus.Options, length: number, synchronous: boolean) =>
  ManagedRuntime.make(Layer.scopedDiscard(Effect.gen(function*() {
    yield* Bus.handle(Get, handler, { synchronous })
    for (let index = 1; index < length; index++) {
      yield* Bus.handle(Get, ({ next }) => next(), { priority: index, synchronous })
    }
  })).pipe(Layer.provideMerge(Bus.layer(options))))

/** Runs `batch` requests in one Effect, so one runtime call is spread over the batch. */
const requestLoop = Effect.flatMap(Bus, (bus) =>
  Effect.gen(function*() {
    for (let index = 0; index < batch; index++) {
      yield* bus.request(Get, { key: "k" })
    }
  }))

const directLoop = Effect.gen(function*() {
  for (let index = 0; index < batch; index++) {
    yield* handler({ payload: { key: "k" } })
  }
})

const plainAsync = async (key: string) => ({ value: store.get(key)?.value ?? null })

export const targets: ReadonlyArray<Target> = [
  { group: "dispatch", name: "bus, validation none", baseline: "handler Effect called directly", maxRatio: 3, description: "bus with validation \"none\" within 3x the direct handler call" },
  { group: "dispatch", name: "bus, 3 handlers, validation none", baseline: "bus, validation none", maxRatio: 1.5, description: "three handlers (two pass through) within 1.5x one" },
  { group: "peer", name: "bus, validation none", baseline: "moleculer broker.call", maxRatio: 1 / 1.5, description: "validation \"none\": throughput at least 1.5x Moleculer's" },
  { group: "peer", name: "bus, validation all", baseline: "moleculer broker.call", maxRatio: 1, description: "full validation: throughput at least Moleculer's" }
]

export const run = async (budget: Budget): Promise<Array<Measurement>> => {
  const none = busRuntime({ validation: "none" }, 1, true)
  const requests = busRuntime({ validation: "requests" }, 1, true)
  const all = busRuntime({ validation: "all" }, 1, true)
  const chain = busRuntime({ validation: "none" }, 3, true)
  const forked = busRuntime({ validation: "none" }, 1, false)
  const broker = new ServiceBroker({ logger: false, nodeID: "bench" })
  broker.createService({
    name: "store",
    actions: { get: (context) => ({ value: store.get((context.params as { key: string }).key)?.value ?? null }) }
  })
  await broker.start()

  try {
    const dispatch = await measure("dispatch", budget, batch, [
      ["handler Effect called directly", () => Effect.runSync(directLoop)],
      ["plain async function over a Map", async () => {
        for (let index = 0; index < batch; index++) await plainAsync("k")
      }],
      ["bus, validation none", () => none.runSync(requestLoop)],
      ["bus, validation requests", () => requests.runSync(requestLoop)],
      ["bus, validation all", () => all.runSync(requestLoop)],
      ["bus, 3 handlers, validation none", () => chain.runSync(requestLoop)],
      ["bus, validation none, handler not synchronous", () => forked.runSync(requestLoop)]
    ])
    const peer = await measure("peer", budget, batch, [
      ["moleculer broker.call", async () => {
        for (let index = 0; index < batch; index++) await broker.call("store.get", { key: "k" })
      }],
      ["bus, validation none", () => none.runSync(requestLoop)],
      ["bus, validation all", () => all.runSync(requestLoop)]
    ])
    return [...dispatch, ...peer]
  } finally {
    await broker.stop()
    await Promise.all([none, requests, all, chain, forked].map((runtime) => runtime.dispose()))
  }
}
