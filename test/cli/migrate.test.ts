import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { makeTemporaryDirectory, runCli, tableNames } from "./fixtures/run.js"

const digest = (file: string) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex")

describe("makaio migrate", () => {
  let temporary: ReturnType<typeof makeTemporaryDirectory>
  let database: string
  beforeEach(() => {
    temporary = makeTemporaryDirectory()
    database = path.join(temporary.directory, "data", "app.db")
  })
  afterEach(() => temporary.remove())

  it("status on fresh file applies nothing", () => {
    const result = runCli(["migrate", "--status", "--db", database])

    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^\s+core\s+pending\s+0000_core$/m)
    expect(result.stdout).toMatch(/^\s+notes\s+pending\s+0000_notes$/m)
    expect(result.stdout).not.toContain("applied")
    expect(fs.existsSync(database)).toBe(false)
  })

  it("status on empty file creates nothing", () => {
    fs.mkdirSync(path.dirname(database), { recursive: true })
    fs.writeFileSync(database, "")

    const result = runCli(["migrate", "--status", "--db", database])

    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^\s+core\s+pending\s+0000_core$/m)
    expect(fs.statSync(database).size).toBe(0)
  })

  it("migrate then status shows applied", () => {
    const migrate = runCli(["migrate", "--db", database])
    expect(migrate.stderr).toBe("")
    expect(migrate.code).toBe(0)
    expect(migrate.stdout).toMatch(/^\s+core\s+applied 0000_core$/m)
    expect(migrate.stdout).toMatch(/^\s+notes\s+applied 0000_notes$/m)

    const status = runCli(["migrate", "--status", "--db", database])
    expect(status.code).toBe(0)
    expect(status.stdout).toMatch(/^\s+core\s+applied\s+0000_core$/m)
    expect(status.stdout).toMatch(/^\s+notes\s+applied\s+0000_notes$/m)
    expect(status.stdout).toContain("Nothing is pending.")

    const again = runCli(["migrate", "--db", database])
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/^\s+core\s+up to date$/m)
  })

  it("status leaves migrated file unchanged", () => {
    runCli(["migrate", "--db", database, "--config", path.join("test", "cli", "fixtures", "core-only.config.ts")])
    const before = digest(database)

    const status = runCli(["migrate", "--status", "--db", database])

    expect(status.code).toBe(0)
    expect(status.stdout).toMatch(/^\s+notes\s+pending\s+0000_notes$/m)
    expect(digest(database)).toBe(before)
    expect(tableNames(database)).not.toContain("example_notes")
  })

  it("MAKAIO_DB selects the database", () => {
    const migrate = runCli(["migrate"], { env: { MAKAIO_DB: database } })

    expect(migrate.code).toBe(0)
    expect(migrate.stdout).toContain(`Migrations of ${database}:`)
    expect(tableNames(database)).toContain("makaio_sessions")
  })

  it("status of non-database fails boot", () => {
    fs.mkdirSync(path.dirname(database), { recursive: true })
    fs.writeFileSync(database, "not a database")

    const result = runCli(["migrate", "--status", "--db", database])

    expect(result.code).toBe(7)
    expect(result.stderr).toContain(`Cannot open the database "${database}"`)
    expect(fs.readFileSync(database, "utf8")).toBe("not a database")
  })
})
