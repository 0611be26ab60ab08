import { describe, expect, it } from "vitest"
import { formatIssues, formatPath } from "../../src/cli/internal/issues.js"

describe("CLI issue formatting", () => {
  it("paths read as accessors", () => {
    expect(formatPath([], "(payload)")).toBe("(payload)")
    expect(formatPath(["session", "createdAt"], "(payload)")).toBe("session.createdAt")
    expect(formatPath(["orderBy", 0, "field"], "(payload)")).toBe("orderBy[0].field")
    expect(formatPath(["metadata", "a b", 2], "(payload)")).toBe('metadata["a b"][2]')
  })

  it("union branches merge per path", () => {
    const lines = formatIssues([
      { path: ["field"], message: 'Expected "a", actual "c"' },
      { path: ["field"], message: 'Expected "b", actual "c"' }
    ], "(payload)")

    expect(lines).toEqual(['field: Expected "a" | "b", actual "c"'])
  })

  it("optional branch dropped beside others", () => {
    const lines = formatIssues([
      { path: ["orderBy", 0, "field"], message: 'Expected "a", actual "x"' },
      { path: ["orderBy"], message: 'Expected undefined, actual [{"field":"x"}]' },
      { path: ["limit"], message: 'Expected number, actual "x"' },
      { path: ["limit"], message: 'Expected undefined, actual "x"' }
    ], "(payload)")

    expect(lines).toEqual(['orderBy[0].field: Expected "a", actual "x"', 'limit: Expected number, actual "x"'])
  })

  it("lone optional branch kept", () => {
    const lines = formatIssues([{ path: ["extra"], message: "Expected undefined, actual 1" }], "(payload)")

    expect(lines).toEqual(["extra: Expected undefined, actual 1"])
  })

  it("different messages join per path", () => {
    const lines = formatIssues([
      { path: [], message: "is missing" },
      { path: [], message: "Expected a valid Date, actual Invalid Date" }
    ], "(payload)")

    expect(lines).toEqual(["(payload): is missing; Expected a valid Date, actual Invalid Date"])
  })
})
