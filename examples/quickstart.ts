/**
 * The main program: boots the kernel on a SQLite file (./data/makaio.db, or
 * the path in MAKAIO_DB) with the core, the example notes extension and a
 * cache in front of session storage, then works through the bus. Run it
 * twice: the second run applies no migrations and continues from the first
 * run's data. Run it with `npm start`.
 */
import { Effect, Layer } from "effect"
import { Bus, Database, Kernel, SessionStorage, StorageCache } from "../src/index.js"
import { NoteStorage } from "./notes/contract.js"
import { notesExtension } from "./notes/extension.js"

const filename = process.env.MAKAIO_DB ?? "./data/makaio.db"
const sessionId = "quickstart"

/** Prints what the kernel did while booting. */
const printBootSummary = Effect.gen(function*() {
  const kernel = yield* Kernel
  console.log(`Booted on ${filename}:`)
  for (const report of kernel.reports) {
    const migrations = report.migrationsApplied.length === 0 ? "no new migrations" : `applied ${report.migrationsApplied.join(", ")}`
    const width = Math.max(...kernel.reports.map((entry) => entry.extension.length))
    console.log(`  ${report.extension.padEnd(width)}  ${migrations} (${report.durationMillis} ms)`)
  }
})

/** Adds a handler between the cache and the SQLite handler that counts the lookups reaching it. */
const auditSessionReads = (counter: { lookups: number }) =>
  Bus.handle(SessionStorage.subjects.get, ({ next }) => {
    counter.lookups++
    return next()
  }, { priority: 10, label: "audit" })

/** Creates the session on the first run and advances its version on every later one. */
const recordRun = Effect.gen(function*() {
  const { session } = yield* Bus.request(SessionStorage.subjects.get, { sessionId })
  const now = new Date()
  const next = session === null
    ? { id: sessionId, status: "open", title: "Quickstart runs", metadata: { createdBy: "quickstart" }, createdAt: now, updatedAt: now, version: 1n }
    : { ...session, version: session.version + 1n }
  yield* Bus.request(SessionStorage.subjects.set, { sessionId, session: next })

  const noteId = `${sessionId}-run-${next.version}`
  yield* Bus.request(NoteStorage.subjects.set, {
    noteId,
    note: { id: noteId, sessionId, text: `Run ${next.version} at ${now.toISOString()}`, createdAt: now, updatedAt: now }
  })
  return next.version
})

const program = Effect.gen(function*() {
  yield* printBootSummary
  const audit = { lookups: 0 }
  yield* auditSessionReads(audit)

  // Both writes of a run commit together or not at all.
  const run = yield* Database.transaction(recordRun)
  console.log(`\nThis is run ${run} of session "${sessionId}".`)

  const notes = yield* Bus.request(NoteStorage.subjects.list, {
    sessionId,
    orderBy: [{ field: "createdAt", direction: "desc" }],
    limit: 3,
    count: true
  })
  console.log(`Latest notes (${notes.total} in all):`)
  for (const note of notes.notes) {
    console.log(`  ${note.text}`)
  }

  const bad = yield* Effect.flip(Bus.request(NoteStorage.subjects.list, { limit: 5_000 }))
  console.log(`\nA list request with limit 5000 is rejected: ${bad.message}`)

  // The first read after the write misses the cache; the next ones are hits.
  for (let read = 0; read < 3; read++) {
    yield* Bus.request(SessionStorage.subjects.get, { sessionId })
  }

  const description = yield* Bus.describe
  const chain = description.subjects.find((subject) => subject.name === SessionStorage.subjects.get.name)!.handlers
  console.log(`\nThe chain of ${SessionStorage.subjects.get.name}:`)
  for (const handler of chain) {
    console.log(`  priority ${String(handler.priority).padStart(3)}: ${handler.label} (${handler.extension ?? "application"})`)
  }
  console.log(`The audit handler below the cache saw ${audit.lookups} of 4 lookups.`)

  const stats = yield* StorageCache.stats(SessionStorage)
  console.log(
    `Session cache: hits ${stats.hits}, misses ${stats.misses}, invalidations ${stats.invalidations}, ` +
      `evictions ${stats.evictions}, entries ${stats.size}.`
  )
})

const AppLayer = Kernel.layer({
  extensions: [notesExtension, StorageCache.extension(SessionStorage)],
  database: Database.layerSqlite({ filename })
}).pipe(Layer.provideMerge(Bus.layer()))

Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(AppLayer))).catch((error) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
