import * as SqlClient from "@effect/sql/SqlClient"
import { SqliteDrizzle } from "@effect/sql-drizzle/Sqlite"
import BetterSqlite3 from "better-sqlite3"
import { eq } from "drizzle-orm"
import { Effect } from "effect"
import { Bus, Database, SessionStorage, sessions } from "../../src/index.js"
import { type Budget, measure, type Measurement, type Target } from "../harness.js"
import { sessionAt, sqliteRuntime, temporaryDirectory } from "./fixtures.js"

const batch = 200
const rows = 1_000
const S = SessionStorage.subjects

export const targets: ReadonlyArray<Target> = [
  { group: "sqlite get", name: "bus get, validation all", baseline: "raw prepared statement", maxRatio: 3, description: "get through the bus within 3x the raw prepared statement" },
  { group: "sqlite set", name: "bus set, validation all", baseline: "raw upsert in a transaction", maxRatio: 3, description: "set (one upsert in its own transaction) within 3x the raw upsert" },
  { group: "cache", name: "cache hit", baseline: "cache miss (SQLite)", maxRatio: 1 / 5, description: "a cache hit at least 5x faster than the SQLite miss path" }
]

const upsertSql = `INSERT INTO makaio_sessions (id, status, title, metadata, created_at, updated_at, version)
  VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET status = excluded.status, title = excluded.title, metadata = excluded.metadata,
    updated_at = max(excluded.updated_at, makaio_sessions.updated_at + 1), version = excluded.version`

export const run = async (budget: Budget): Promise<Array<Measurement>> => {
  const { directory, remove } = temporaryDirectory()
  const file = `${directory}/bench.db`
  const all = sqliteRuntime(file, { validation: "all" })
  const none = sqliteRuntime(file, { validation: "none" })
  const cached = sqliteRuntime(file, { validation: "all" }, { capacity: 10 })
  const missing = sqliteRuntime(file, { validation: "all" }, { capacity: 1 })

  try {
    await all.runPromise(Effect.forEach(Array.from({ length: rows }, (_, index) => sessionAt(index)), (session) =>
      Bus.request(S.set, { sessionId: session.id, session }), { discard: true }))

    const raw = new BetterSqlite3(file)
    raw.pragma("journal_mode = WAL")
    raw.pragma("synchronous = NORMAL")
    const select = raw.prepare("SELECT * FROM makaio_sessions WHERE id = ?").raw(true).safeIntegers(true)
    const upsert = raw.prepare(upsertSql)
    const upsertInTransaction = raw.transaction((session: ReturnType<typeof sessionAt>) =>
      upsert.run(session.id, session.status, session.title, JSON.stringify(session.metadata), session.createdAt.getTime(), Date.now(), session.version))

    let cursor = 0
    const nextId = () => sessionAt(cursor++ % rows).id
    const nextSession = () => sessionAt(cursor++ % rows)

    const busGets = Effect.flatMap(Bus, (bus) => Effect.gen(function*() {
      for (let index = 0; index < batch; index++) yield* bus.request(S.get, { sessionId: nextId() })
    }))
    const busSets = Effect.flatMap(Bus, (bus) => Effect.gen(function*() {
      for (let index = 0; index < batch; index++) {
        const session = nextSession()
        yield* bus.request(S.set, { sessionId: session.id, session })
      }
    }))
    const sqlGets = Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.gen(function*() {
      for (let index = 0; index < batch; index++) yield* sql`SELECT * FROM makaio_sessions WHERE id = ${nextId()}`
    }))
    const drizzleGets = Effect.flatMap(SqliteDrizzle, (db) => Effect.gen(function*() {
      for (let index = 0; index < batch; index++) yield* db.select().from(sessions).where(eq(sessions.id, nextId()))
    }))
    const hits = Effect.flatMap(Bus, (bus) => Effect.gen(function*() {
      for (let index = 0; index < batch; index++) yield* bus.request(S.get, { sessionId: "session-000001" })
    }))
    // With room for one entry, alternating keys miss every time and take the SQLite path, storing each result.
    const misses = Effect.flatMap(Bus, (bus) => Effect.gen(function*() {
      for (let index = 0; index < batch; index++) yield* bus.request(S.get, { sessionId: index % 2 === 0 ? "session-000001" : "session-000002" })
    }))

    const get = await measure("sqlite get", budget, batch, [
      ["raw prepared statement", () => {
        for (let index = 0; index < batch; index++) select.get(nextId())
      }],
      ["raw statement in Effect.sync", () => Effect.runSync(Effect.gen(function*() {
        for (let index = 0; index < batch; index++) yield* Effect.sync(() => select.get(nextId()))
      }))],
      ["@effect/sql query", () => all.runPromise(sqlGets)],
      ["drizzle query built per call", () => all.runPromise(drizzleGets)],
      ["bus get, validation all", () => all.runSync(busGets)],
      ["bus get, validation none", () => none.runSync(busGets)]
    ])
    const set = await measure("sqlite set", budget, batch, [
      ["raw upsert in a transaction", () => {
        for (let index = 0; index < batch; index++) upsertInTransaction(nextSession())
      }],
      ["bus set, validation all", () => all.runSync(busSets)],
      ["bus set, validation none", () => none.runSync(busSets)],
      ["bus set in one transaction per batch", () => all.runSync(Database.transaction(busSets))]
    ])
    await cached.runPromise(Bus.request(S.get, { sessionId: "session-000001" }))
    const cache = await measure("cache", budget, batch, [
      ["cache miss (SQLite)", () => missing.runSync(misses)],
      ["cache hit", () => cached.runSync(hits)]
    ])
    raw.close()
    return [...get, ...set, ...cache]
  } finally {
    await Promise.all([all, none, cached, missing].map((runtime) => runtime.dispose()))
    remove()
  }
}
