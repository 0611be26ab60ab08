/**
 * Runs the benchmark suite and records it: `npm run bench` (or
 * `npm run bench -- --quick` for a rougher run well under a minute). Writes
 * bench/results.json and the results section of BENCHMARKS.md.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { budgetFor, machine, type Measurement, type Target } from "./harness.js"
import * as boot from "./scenarios/boot.js"
import * as dispatch from "./scenarios/dispatch.js"
import * as list from "./scenarios/list.js"
import * as memory from "./scenarios/memory.js"
import * as sqlite from "./scenarios/sqlite.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..")
const quick = process.argv.includes("--quick")
const budget = budgetFor(quick)

const find = (measurements: ReadonlyArray<Measurement>, group: string, name: string): Measurement => {
  const found = measurements.find((measurement) => measurement.group === group && measurement.name === name)
  if (found === undefined) throw new Error(`No measurement "${group} / ${name}"`)
  return found
}

const format = (value: number, digits = 2) => value.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits })

const main = async () => {
  const started = Date.now()
  const measurements: Array<Measurement> = []
  for (const [name, scenario] of [["dispatch", dispatch], ["sqlite", sqlite], ["list", list], ["boot", boot]] as const) {
    process.stdout.write(`running ${name}...\n`)
    measurements.push(...await scenario.run(budget))
  }
  process.stdout.write("running memory...\n")
  const memoryFigures = await memory.run(budget)

  // Each group's first task is its baseline.
  const baselines = new Map<string, Measurement>()
  for (const measurement of measurements) {
    if (!baselines.has(measurement.group)) baselines.set(measurement.group, measurement)
  }
  const targets: ReadonlyArray<Target> = [...dispatch.targets, ...sqlite.targets, ...list.targets]
  const verdicts = targets.map((target) => {
    const ratio = find(measurements, target.group, target.name).medianMicros / find(measurements, target.group, target.baseline).medianMicros
    return { ...target, ratio, met: ratio <= target.maxRatio }
  })

  const results = { recordedAt: new Date().toISOString(), quick, machine: machine(), measurements, memory: memoryFigures, targets: verdicts }
  fs.writeFileSync(path.join(root, "bench", "results.json"), JSON.stringify(results, null, 2) + "\n")

  const lines: Array<string> = []
  const info = results.machine
  lines.push(`Recorded ${results.recordedAt.slice(0, 10)} on ${info.cpu} (${info.cores} cores), Node ${info.node}, ${info.platform}${quick ? ", quick mode" : ""}.`)
  lines.push("")
  lines.push("### Targets")
  lines.push("")
  lines.push("| target | measured | limit | met |")
  lines.push("|---|---:|---:|---|")
  for (const verdict of verdicts) {
    lines.push(`| ${verdict.description} | ${format(verdict.ratio)}x | ${format(verdict.maxRatio)}x | ${verdict.met ? "yes" : "**no**"} |`)
  }
  for (const group of [...baselines.keys()]) {
    const baseline = baselines.get(group)!
    lines.push("")
    lines.push(`### ${group}`)
    lines.push("")
    lines.push("| scenario | ops/s | median µs | p99 µs | ratio to baseline |")
    lines.push("|---|---:|---:|---:|---:|")
    for (const measurement of measurements.filter((candidate) => candidate.group === group)) {
      const ratio = measurement === baseline ? "baseline" : `${format(measurement.medianMicros / baseline.medianMicros)}x`
      lines.push(`| ${measurement.name} | ${format(measurement.opsPerSecond, 0)} | ${format(measurement.medianMicros)} | ${format(measurement.p99Micros)} | ${ratio} |`)
    }
  }
  lines.push("")
  lines.push("### memory")
  lines.push("")
  lines.push("| figure | value |")
  lines.push("|---|---:|")
  for (const figure of memoryFigures) {
    lines.push(`| ${figure.name} | ${format(figure.value, 1)} ${figure.unit} |`)
  }

  const file = path.join(root, "BENCHMARKS.md")
  const start = "<!-- results:start -->"
  const end = "<!-- results:end -->"
  const page = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : `# Benchmarks\n\n${start}\n${end}\n`
  if (!page.includes(start) || !page.includes(end)) {
    throw new Error(`BENCHMARKS.md must contain the markers ${start} and ${end}; the results go between them.`)
  }
  const updated = page.slice(0, page.indexOf(start) + start.length) + "\n" + lines.join("\n") + "\n" + page.slice(page.indexOf(end))
  fs.writeFileSync(file, updated)

  process.stdout.write(`\n${lines.join("\n")}\n\nDone in ${Math.round((Date.now() - started) / 1000)} s; wrote bench/results.json and BENCHMARKS.md.\n`)
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
