import * as os from "node:os"
import { Bench } from "tinybench"

/** One measured scenario, with its latency per operation in microseconds. */
export interface Measurement {
  readonly group: string
  readonly name: string
  readonly opsPerSecond: number
  readonly medianMicros: number
  readonly p99Micros: number
  /** Operations per timed sample: latencies are a sample's time divided by this. */
  readonly batch: number
}

/** A target: this scenario's median latency divided by its baseline's must be at most `maxRatio`. */
export interface Target {
  readonly group: string
  readonly name: string
  readonly baseline: string
  readonly maxRatio: number
  readonly description: string
}

/** How long each task runs: `quick` trades precision for a run well under a minute. */
export interface Budget {
  readonly quick: boolean
  readonly timeMillis: number
  readonly warmupMillis: number
}

export const budgetFor = (quick: boolean): Budget =>
  quick ? { quick, timeMillis: 150, warmupMillis: 50 } : { quick, timeMillis: 1_500, warmupMillis: 300 }

/**
 * Measures tasks that each run `batch` operations per call, so the cost of
 * starting an Effect or awaiting a Promise once per sample is spread over the
 * batch. Every task of one call runs in the same process, one after another,
 * so ratios between them compare like with like.
 */
export const measure = async (
  group: string,
  budget: Budget,
  batch: number,
  tasks: ReadonlyArray<readonly [name: string, run: () => unknown]>
): Promise<Array<Measurement>> => {
  const bench = new Bench({ time: budget.timeMillis, warmupTime: budget.warmupMillis, iterations: 10 })
  for (const [name, run] of tasks) {
    bench.add(name, run)
  }
  await bench.run()

  return bench.tasks.map((task) => {
    const result = task.result as unknown as {
      readonly latency: { readonly p50?: number; readonly p99?: number; readonly mean: number }
    } | undefined
    if (result === undefined || !("latency" in result)) {
      throw new Error(`Benchmark task "${group} / ${task.name}" produced no result: ${JSON.stringify(task.result)}`)
    }
    const median = (result.latency.p50 ?? result.latency.mean) * 1_000 / batch
    const p99 = (result.latency.p99 ?? result.latency.mean) * 1_000 / batch
    return { group, name: task.name, opsPerSecond: 1_000_000 / median, medianMicros: median, p99Micros: p99, batch }
  })
}

/** The machine the numbers come from. */
export const machine = () => ({
  cpu: os.cpus()[0]?.model ?? "unknown",
  cores: os.cpus().length,
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`
})
