import type { SchemaIssue } from "../../bus/BusError.js"

const identifier = /^[A-Za-z_$][\w$]*$/
const expectedActual = /^Expected (.+), actual (.+)$/s
const optionalBranch = /^Expected undefined, actual /

/** Writes a path as a JavaScript accessor (`session.createdAt`, `orderBy[0].field`), or as `root` when it is empty. */
export const formatPath = (path: SchemaIssue["path"], root: string): string => {
  if (path.length === 0) return root
  let text = ""
  for (const segment of path) {
    if (typeof segment === "number") {
      text += `[${segment}]`
    } else if (identifier.test(segment)) {
      text += text === "" ? segment : `.${segment}`
    } else {
      text += `[${JSON.stringify(segment)}]`
    }
  }
  return text
}

const startsWith = (path: SchemaIssue["path"], prefix: SchemaIssue["path"]): boolean =>
  prefix.length <= path.length && prefix.every((segment, index) => segment === path[index])

/** Merges the messages of one path: union branches that expected different values of the same input become one. */
const mergeMessages = (messages: ReadonlyArray<string>): string => {
  const unique = [...new Set(messages)]
  const matches = unique.map((message) => expectedActual.exec(message))
  const actual = matches[0]?.[2]
  if (unique.length > 1 && matches.every((match) => match !== null && match[2] === actual)) {
    return `Expected ${matches.map((match) => match![1]).join(" | ")}, actual ${actual}`
  }
  return unique.join("; ")
}

/**
 * Turns schema issues into one line per invalid path, `path: message`.
 * Effect's Schema reports each branch of a union as its own issue, so an
 * optional field also fails with "Expected undefined". That branch is
 * dropped when the same path or one below it has another issue.
 */
export const formatIssues = (issues: ReadonlyArray<SchemaIssue>, root: string): ReadonlyArray<string> => {
  const relevant = issues.filter((issue) =>
    !optionalBranch.test(issue.message) ||
    !issues.some((other) => !optionalBranch.test(other.message) && startsWith(other.path, issue.path)))

  const byPath = new Map<string, { readonly path: SchemaIssue["path"]; readonly messages: Array<string> }>()
  for (const issue of relevant) {
    const key = JSON.stringify(issue.path)
    const group = byPath.get(key) ?? { path: issue.path, messages: [] }
    group.messages.push(issue.message)
    byPath.set(key, group)
  }
  return [...byPath.values()].map((group) => `${formatPath(group.path, root)}: ${mergeMessages(group.messages)}`)
}
