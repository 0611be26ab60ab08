import * as path from "node:path"
import BetterSqlite3 from "better-sqlite3"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { makeTemporaryDirectory, runCli } from "./fixtures/run.js"

const session = {
  id: "s-1",
  status: "open",
  title: "Plan the trip",
  metadata: { tags: ["travel"] },
  createdAt: "2026-01-02T03:04:05.678Z",
  updatedAt: "2026-01-02T03:04:05.678Z",
  version: "9007199254740993"
}

describe("makaio request", () => {
  let temporary: ReturnType<typeof makeTemporaryDirectory>
  let database: string
  beforeEach(() => {
    temporary = makeTemporaryDirectory()
    database = path.join(temporary.directory, "app.db")
  })
  afterEach(() => temporary.remove())

  it("set then get across processes", () => {
    const set = runCli(["request", "storage:session.set", JSON.stringify({ sessionId: "s-1", session }), "--db", database])
    expect(set.stderr).toBe("")
    expect(set.code).toBe(0)
    expect(JSON.parse(set.stdout)).toEqual({ success: true })

    const get = runCli(["request", "storage:session.get", '{"sessionId":"s-1"}', "--db", database])
    expect(get.stderr).toBe("")
    expect(get.code).toBe(0)
    const stored = JSON.parse(get.stdout).session
    expect(stored.id).toBe("s-1")
    expect(stored.title).toBe("Plan the trip")
    expect(stored.metadata).toEqual({ tags: ["travel"] })
    expect(stored.createdAt).toBe(session.createdAt)
    expect(stored.version).toBe("9007199254740993")
  })

  it("bad payload prints each path", () => {
    const payload = { sessionId: 5, session: { ...session, createdAt: "yesterday", version: "x", colour: "red" } }

    const result = runCli(["request", "storage:session.set", JSON.stringify(payload), "--db", database])

    expect(result.code).toBe(4)
    expect(result.stdout).toBe("")
    const lines = result.stderr.trim().split("\n")
    expect(lines[0]).toBe('Invalid payload for "storage:session.set":')
    expect(lines).toContain("  sessionId: Expected string, actual 5")
    expect(lines.some((line) => line.startsWith("  session.createdAt: "))).toBe(true)
    expect(lines).toContain('  session.version: Unable to decode "x" into a bigint')
    expect(lines.some((line) => line.startsWith("  session.colour: is unexpected"))).toBe(true)
    expect(lines).toHaveLength(5)
  })

  it("union issues merge per path", () => {
    const result = runCli(["request", "storage:session.list", '{"orderBy":[{"field":"colour"}]}', "--memory"])

    expect(result.code).toBe(4)
    expect(result.stderr).toContain(
      '  orderBy[0].field: Expected "status" | "title" | "createdAt" | "updatedAt" | "version", actual "colour"\n'
    )
    expect(result.stderr).not.toContain("Expected undefined")
  })

  it("unknown subject exits no-handler", () => {
    const result = runCli(["request", "storage:colour.get", "{}", "--db", database])

    expect(result.code).toBe(3)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain('No subject "storage:colour.get" is registered')
    expect(result.stderr).toContain("makaio subjects")
  })

  it("event subject exits no-handler", () => {
    const result = runCli(["request", "storage:session.changed", "{}", "--memory"])

    expect(result.code).toBe(3)
    expect(result.stderr).toContain('"storage:session.changed" is an event subject')
  })

  it("invalid JSON exits invalid-payload", () => {
    const result = runCli(["request", "storage:session.get", "{sessionId: s-1}", "--db", database])

    expect(result.code).toBe(4)
    expect(result.stderr).toContain('The payload for "storage:session.get" is not valid JSON')
  })

  it("payload read from stdin", () => {
    const result = runCli(["request", "storage:session.get", "-", "--memory"], { input: '{"sessionId":"s-1"}' })

    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({ session: null })
  })

  it("memory database keeps nothing", () => {
    const set = runCli(["request", "storage:session.set", JSON.stringify({ sessionId: "s-1", session }), "--memory"])
    const get = runCli(["request", "storage:session.get", '{"sessionId":"s-1"}', "--memory"])

    expect(set.code).toBe(0)
    expect(get.code).toBe(0)
    expect(JSON.parse(get.stdout)).toEqual({ session: null })
  })

  it("db with memory is usage error", () => {
    const result = runCli(["request", "storage:session.get", "{}", "--memory", "--db", database])

    expect(result.code).toBe(2)
    expect(result.stderr).toContain("--db and --memory exclude each other")
  })

  it("lock held past timeout exits timeout", () => {
    expect(runCli(["request", "storage:session.get", '{"sessionId":"s-1"}', "--db", database]).code).toBe(0)
    const holder = new BetterSqlite3(database)
    holder.exec("BEGIN IMMEDIATE")
    try {
      const result = runCli(["request", "storage:session.set", JSON.stringify({ sessionId: "s-1", session }), "--db", database, "--timeout", "300"])

      expect(result.code).toBe(5)
      expect(result.stderr).toContain("timed out waiting")
    } finally {
      holder.exec("ROLLBACK")
      holder.close()
    }
  })

  it("empty db path is usage error", () => {
    const result = runCli(["migrate", "--status", "--db", ""])

    expect(result.code).toBe(2)
    expect(result.stderr).toContain("--db needs a file path")
  })

  it("invalid timeout is usage error", () => {
    const result = runCli(["request", "storage:session.get", "{}", "--memory", "--timeout", "soon"])

    expect(result.code).toBe(2)
    expect(result.stderr).toContain('Invalid --timeout "soon"')
  })
})
