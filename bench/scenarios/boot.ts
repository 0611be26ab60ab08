import * as fs from "node:fs"
import * as path from "node:path"
import BetterSqlite3 from "better-sqlite3"
import { Effect, Layer, Logger, LogLevel } from "effect"
import { Bus, Database, Extension, Kernel } from "../../src/index.js"
import type { Budget, Measurement, Target } from "../harness.js"
import { temporaryDirectory } from "./fixtures.js"

const extensionCount = 50
const migrationsEach = 4

export const targets: ReadonlyArray<Target> = []

/** Writes a drizzle-kit style folder with `migrationsEach` migrations for one extension. */
const writeMigrations = (folder: string, extension: number) => {
  fs.mkdirSync(path.join(folder, "meta"), { recursive: true })
  const entries = Array.from({ length: migrationsEach }, (_, index) => {
    const tag = `000${index}_step`
    const table = `ext${extension}_t${index}`
    fs.writeFileSync(
      path.join(folder, `${tag}.sql`),
      `CREATE TABLE ${table} (id TEXT PRIMARY KEY NOT NULL, value TEXT);\n--> statement-breakpoint\nCREATE INDEX ${table}_value ON ${table} (value);`
    )
    return { idx: index, version: "6", when: 1_700_000_000_000 + index, tag, breakpoints: true }
  })
  fs.writeFileSync(path.join(folder, "meta", "_journal.json"), JSON.stringify({ version: "7", dialect: "sqlite", entries }))
}

/** Times `count` runs of `task` and returns the median and the slowest in microseconds. */
const time = async (count: number, task: () => Promise<void>) => {
  const samples: Array<number> = []
  for (let index = 0; index < count; index++) {
    const started = performance.now()
    await task()
    samples.push((performance.now() - started) * 1_000)
  }
  samples.sort((left, right) => left - right)
  return { median: samples[Math.floor(samples.length / 2)]!, slowest: samples[samples.length - 1]! }
}

export const run = async (budget: Budget): Promise<Array<Measurement>> => {
  const { directory, remove } = temporaryDirectory()
  try {
    const extensions = Array.from({ length: extensionCount }, (_, index) => {
      const root = path.join(directory, `ext${index}`)
      writeMigrations(path.join(root, "migrations"), index)
      return Extension.make({ name: `ext${index}`, dependsOn: index === 0 ? [] : [`ext${index - 1}`], storage: { packageRoot: root, migrations: "migrations" } })
    })
    let fileNumber = 0
    const boot = (file: string) =>
      Effect.runPromise(Effect.scoped(Layer.build(
        Kernel.layer({ extensions, database: Database.layerSqlite({ filename: file, synchronous: "normal" }) }).pipe(Layer.provide(Bus.layer()))
      )).pipe(Effect.asVoid, Logger.withMinimumLogLevel(LogLevel.Warning)))

    // The floor: the same migration files applied with the driver alone, each in its own transaction.
    const rawApply = (file: string) => {
      const db = new BetterSqlite3(file)
      db.pragma("journal_mode = WAL")
      db.pragma("synchronous = NORMAL")
      for (let extension = 0; extension < extensionCount; extension++) {
        for (let index = 0; index < migrationsEach; index++) {
          const sql = fs.readFileSync(path.join(directory, `ext${extension}`, "migrations", `000${index}_step.sql`), "utf8")
          db.transaction(() => db.exec(sql.replaceAll("--> statement-breakpoint", "")))()
        }
      }
      db.close()
    }

    const runs = budget.quick ? 3 : 7
    const raw = await time(runs, async () => rawApply(path.join(directory, `raw${fileNumber++}.db`)))
    const first = await time(runs, () => boot(path.join(directory, `kernel${fileNumber++}.db`)))
    const reused = path.join(directory, "reused.db")
    await boot(reused)
    const second = await time(runs, () => boot(reused))

    const row = (name: string, sample: { median: number; slowest: number }): Measurement => ({
      group: "boot",
      name,
      opsPerSecond: 1_000_000 / sample.median,
      medianMicros: sample.median,
      p99Micros: sample.slowest,
      batch: 1
    })
    return [
      row("200 migrations applied with the driver alone", raw),
      row("first boot: 50 extensions, 200 migrations", first),
      row("second boot: nothing to apply", second)
    ]
  } finally {
    remove()
  }
}
