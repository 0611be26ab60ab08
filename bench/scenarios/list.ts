import BetterSqlite3 from "better-sqlite3"
import { Effect } from "effect"
import { Bus, SessionStorage } from "../../src/index.js"
import { type Budget, measure, type Measurement, type Target } from "../harness.js"
import { sessionAt, sqliteRuntime, temporaryDirectory } from "./fixtures.js"

const batch = 10
const rows = 100_000
const S = SessionStorage.subjects

export const targets: ReadonlyArray<Target> = [
  { group: "list", name: "page at row 90,000", baseline: "first page", maxRatio: 1.5, description: "a keyset page deep in the table within 1.5x the first page (no count)" },
  { group: "list", name: "page at row 90,000, by createdAt", baseline: "first page, by createdAt", maxRatio: 1.5, description: "the same, ordered by a non-key column" }
]

/** Fills the table directly, which is much faster than 100,000 requests and gives the same rows. */
const seed = (file: string) => {
  const db = new BetterSqlite3(file)
  const insert = db.prepare(`INSERT INTO makaio_sessions (id, status, title, metadata, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?)`)
  db.transaction(() => {
    for (let index = 0; index < rows; index++) {
      const session = sessionAt(index)
      insert.run(session.id, session.status, session.title, JSON.stringify(session.metadata), session.createdAt.getTime(), session.updatedAt.getTime(), session.version)
    }
  })()
  db.close()
}

export const run = async (budget: Budget): Promise<Array<Measurement>> => {
  const { directory, remove } = temporaryDirectory()
  const file = `${directory}/list.db`
  const runtime = sqliteRuntime(file, { validation: "all" })
  try {
    await runtime.runPromise(Bus.request(S.get, { sessionId: "boot" }))
    seed(file)

    /** Pages through the table with pages of 1,000 and returns the cursor after `position` rows. */
    const cursorAt = (position: number, orderBy?: typeof S.list.request.Type["orderBy"]) =>
      runtime.runPromise(Effect.gen(function*() {
        let cursor: string | undefined
        for (let seen = 0; seen < position; seen += 1_000) {
          const page: typeof S.list.response.Type = yield* Bus.request(S.list, { limit: 1_000, ...(orderBy ? { orderBy } : {}), ...(cursor ? { cursor } : {}) })
          cursor = page.nextCursor ?? undefined
        }
        return cursor!
      }))
    const byCreatedAt = [{ field: "createdAt" as const }]
    const deep = await cursorAt(90_000)
    const deepByCreatedAt = await cursorAt(90_000, byCreatedAt)

    const pages = (payload: typeof S.list.request.Type) => () =>
      runtime.runSync(Effect.gen(function*() {
        for (let index = 0; index < batch; index++) yield* Bus.request(S.list, payload)
      }))

    return await measure("list", budget, batch, [
      ["first page", pages({ limit: 100 })],
      ["page at row 90,000", pages({ limit: 100, cursor: deep })],
      ["first page, with count", pages({ limit: 100, count: true })],
      ["page at row 90,000, with count", pages({ limit: 100, cursor: deep, count: true })],
      ["first page, by createdAt", pages({ limit: 100, orderBy: byCreatedAt })],
      ["page at row 90,000, by createdAt", pages({ limit: 100, orderBy: byCreatedAt, cursor: deepByCreatedAt })]
    ])
  } finally {
    await runtime.dispose()
    remove()
  }
}
