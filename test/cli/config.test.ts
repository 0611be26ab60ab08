import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { makeTemporaryDirectory, repositoryRoot, runCli } from "./fixtures/run.js"

const extraConfig = path.join(repositoryRoot, "test", "cli", "fixtures", "extra.config.ts")

describe("makaio config loading", () => {
  let temporary: ReturnType<typeof makeTemporaryDirectory>
  beforeEach(() => {
    temporary = makeTemporaryDirectory()
  })
  afterEach(() => temporary.remove())

  it("config extension answers requests", () => {
    const payload = { text: "hi", at: "2026-03-04T05:06:07.089Z", count: "18446744073709551615" }

    const result = runCli(["request", "extra:echo", JSON.stringify(payload), "--memory", "--config", extraConfig])

    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({ text: "hi", at: "2026-03-04T05:06:07.089Z", next: "18446744073709551616" })
  })

  it("config replaces the default config", () => {
    const result = runCli(["subjects", "--memory", "--config", extraConfig])

    expect(result.code).toBe(0)
    expect(result.stdout).toContain("extra:echo")
    expect(result.stdout).not.toContain("storage:note")
  })

  it("working directory config loads", () => {
    // "type": "module" makes tsx load the TypeScript config as an ES module, as in the repository.
    fs.writeFileSync(path.join(temporary.directory, "package.json"), '{ "type": "module" }\n')
    fs.writeFileSync(path.join(temporary.directory, "makaio.config.ts"), `export { extensions } from ${JSON.stringify(extraConfig)}\n`)

    const result = runCli(["subjects", "--memory"], { cwd: temporary.directory })

    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    expect(result.stdout).toContain("extra:echo")
  })

  it("declared failure exits handler-failed", () => {
    const result = runCli(["request", "extra:reject", '{"reason":"closed"}', "--memory", "--config", extraConfig])

    expect(result.code).toBe(6)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain('Request "extra:reject" failed')
    expect(result.stderr).toContain('"reason": "closed"')
  })

  it("defect exits handler-failed", () => {
    const result = runCli(["request", "extra:crash", "{}", "--memory", "--config", extraConfig])

    expect(result.code).toBe(6)
    expect(result.stderr).toContain("the crash handler always dies")
  })

  it("timeout exits timeout code", () => {
    const result = runCli(["request", "extra:hang", "{}", "--memory", "--timeout", "50 millis", "--config", extraConfig])

    expect(result.code).toBe(5)
    expect(result.stderr).toContain('Request "extra:hang" timed out after 50ms')
  })

  it("missing config fails boot", () => {
    const missing = path.join(temporary.directory, "absent.config.ts")

    const result = runCli(["subjects", "--memory", "--config", missing])

    expect(result.code).toBe(7)
    expect(result.stderr).toContain(`Cannot load the config ${missing}: the file does not exist.`)
  })

  it("config without extensions fails boot", () => {
    const config = path.join(temporary.directory, "empty.config.mjs")
    fs.writeFileSync(config, "export const plugins = []\n")

    const result = runCli(["subjects", "--memory", "--config", config])

    expect(result.code).toBe(7)
    expect(result.stderr).toContain("exports no array of extensions")
  })
})
