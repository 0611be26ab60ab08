import { describe, expect, it } from "vitest"
import { runCli } from "./fixtures/run.js"

describe("makaio subjects", () => {
  it("text lists chains by namespace", () => {
    const result = runCli(["subjects", "--memory"])

    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    const lines = result.stdout.split("\n")
    expect(lines).toContain("storage:session")
    expect(lines).toContain("storage:note")
    const get = lines.findIndex((line) => /^\s+storage:session\.get\s+request$/.test(line))
    expect(get).toBeGreaterThan(-1)
    expect(lines[get + 1]).toMatch(/^\s+priority 0\s+sqlite:session\s+extension core$/)
    const changed = lines.findIndex((line) => /^\s+storage:session\.changed\s+event$/.test(line))
    expect(lines[changed + 1]).toMatch(/^\s+no subscribers$/)
  })

  it("json matches the description", () => {
    const result = runCli(["subjects", "--memory", "--json"])

    expect(result.code).toBe(0)
    const description = JSON.parse(result.stdout)
    expect(description.namespaces.map((namespace: { name: string }) => namespace.name)).toEqual(["storage:note", "storage:session"])
    const set = description.subjects.find((subject: { name: string }) => subject.name === "storage:note.set")
    expect(set).toEqual({
      name: "storage:note.set",
      kind: "request",
      handlers: [{ priority: 0, label: "sqlite:note", extension: "notes" }],
      subscribers: []
    })
  })

  it("no command is usage error", () => {
    const result = runCli([])

    expect(result.code).toBe(2)
    expect(result.stderr).toContain("name a command: subjects, request or migrate")
  })

  it("help lists exit codes", () => {
    const result = runCli(["request", "--help"])

    expect(result.code).toBe(0)
    expect(result.stdout).toContain("EXIT CODES")
    expect(result.stdout).toContain("invalid payload: the JSON does not parse")
  })
})
