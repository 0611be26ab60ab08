import { Effect, Layer, ManagedRuntime } from "effect"
import { Bus, MemoryStorageLayer, SessionStorage } from "../../src/index.js"
import type { Budget } from "../harness.js"
import { sessionAt } from "./fixtures.js"

const S = SessionStorage.subjects

/** A memory figure: what was measured and its value. */
export interface MemoryFigure {
  readonly name: string
  readonly value: number
  readonly unit: string
}

const collect = (): number => {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) {
    throw new Error("Run the benchmarks with node --expose-gc (npm run bench does) so heap figures are stable.")
  }
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

export const run = async (budget: Budget): Promise<Array<MemoryFigure>> => {
  const requests = budget.quick ? 200_000 : 1_000_000
  const entities = budget.quick ? 20_000 : 100_000
  const runtime = ManagedRuntime.make(MemoryStorageLayer.pipe(Layer.provideMerge(Bus.layer())))
  try {
    await runtime.runPromise(Bus.request(S.set, { sessionId: sessionAt(1).id, session: sessionAt(1) }))
    const requestLoop = (count: number) => Effect.flatMap(Bus, (bus) => Effect.gen(function*() {
      for (let index = 0; index < count; index++) yield* bus.request(S.get, { sessionId: sessionAt(1).id })
    }))
    await runtime.runPromise(requestLoop(10_000))
    const before = collect()
    await runtime.runPromise(requestLoop(requests))
    const after = collect()

    const storeBefore = collect()
    await runtime.runPromise(Effect.forEach(Array.from({ length: entities }, (_, index) => sessionAt(index + 10)), (session) =>
      Bus.request(S.set, { sessionId: session.id, session }), { discard: true }))
    const storeAfter = collect()

    return [
      { name: `heap before ${requests.toLocaleString("en")} get requests`, value: before / 1_048_576, unit: "MiB" },
      { name: `heap after ${requests.toLocaleString("en")} get requests`, value: after / 1_048_576, unit: "MiB" },
      { name: "heap growth over those requests", value: (after - before) / 1_048_576, unit: "MiB" },
      { name: `memory backend: bytes per stored session (${entities.toLocaleString("en")} stored)`, value: (storeAfter - storeBefore) / entities, unit: "bytes" }
    ]
  } finally {
    await runtime.dispose()
  }
}
