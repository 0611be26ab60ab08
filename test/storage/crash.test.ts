/**
 * Crash safety of SQLite storage: a writer process (fixtures/crashWriter.ts)
 * commits groups of sessions through the bus, one group per transaction, and
 * is killed with SIGKILL at a random moment, 20 times against one database
 * file. Afterwards the database must open through the runtime, pass
 * `PRAGMA integrity_check`, decode every session and hold every group whole.
 * Its contents must also equal a replay of the committed transactions, and
 * include every transaction that a writer reported as committed.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterEach, beforeEach, describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Bus, Database, type MakaioSession, SessionStorage, SqliteStorageLayer } from "../../src/index.js"
import { groupOf, groupSize, groupTitle, sessionId } from "./fixtures/crashWriter.js"

const repositoryRoot = fileURLToPath(new URL("../..", import.meta.url))
const tsx = path.join(repositoryRoot, "node_modules", ".bin", "tsx")
const writerScript = fileURLToPath(new URL("fixtures/crashWriter.ts", import.meta.url))

const runs = 20
const transactionsPerRun = 1_000
/** Each writer is killed after a random number of commit lines in this range, so it has always started writing. */
const minCommitsBeforeKill = 50
const maxCommitsBeforeKill = 500
/**
 * The kill comes a random delay of up to this many milliseconds after that
 * line, so it is not tied to the moment the writer printed it. On a 2-core
 * machine a transaction took about 1.5 ms when idle and 7 ms under load.
 */
const maxKillDelayMillis = 5
/** The number of writers that load their modules while the current one writes. Start-up takes most of the test's run time. */
const writersStartedAhead = 2
/**
 * A hang guard, not a speed check. On a 2-core machine shared with other test
 * runs the test took 26 to 55 s, too close to the 60 s of vitest.config.ts.
 */
const testTimeoutMillis = 180_000

const { list } = SessionStorage.subjects

/** What one writer process printed and how it ended. */
interface WriterRun {
  readonly lines: ReadonlyArray<string>
  readonly stderr: string
  readonly exitCode: number | null
  readonly signal: NodeJS.Signals | null
}

/** When to kill a writer: `delayMillis` after its `afterCommits`-th commit line. */
interface KillPlan {
  readonly afterCommits: number
  readonly delayMillis: number
}

/** A writer process that has loaded, or is loading, its modules and waits for `run` before it opens the database. */
interface Writer {
  /** Lets the writer start, kills it as planned, and resolves once it has exited. */
  readonly run: (kill: KillPlan) => Promise<WriterRun>
}

/** Writer processes still running or waiting for their turn. They are killed after the test in case it failed midway. */
const running = new Set<ChildProcess>()

/** Temporary directories, removed after the test even when it failed or timed out. */
const temporaryDirectories: Array<string> = []

/** Whether the test has ended. A test body still running after a timeout checks it and starts no more writers. */
let testEnded = false

/**
 * Kills the writer's whole process group. The tsx command (version 4) runs
 * the script in a child Node.js process, so killing only the tsx process
 * would leave the writer running.
 */
const killWriter = (child: ChildProcess): void => {
  try {
    process.kill(-child.pid!, "SIGKILL")
  } catch (error) {
    // ESRCH means the group has exited already, because the writer finished all of its transactions.
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error
  }
}

beforeEach(() => {
  testEnded = false
})

afterEach(() => {
  testEnded = true
  for (const child of running) killWriter(child)
  for (const directory of temporaryDirectories.splice(0)) fs.rmSync(directory, { recursive: true, force: true })
})

/** Starts a writer in its own process group. It opens the database only once `run` closes its stdin. */
const startWriter = (databaseFile: string): Writer => {
  const child = spawn(tsx, [writerScript, databaseFile, String(transactionsPerRun)], {
    cwd: repositoryRoot,
    detached: true,
    stdio: ["pipe", "pipe", "pipe"]
  })
  running.add(child)

  const lines: Array<string> = []
  let unterminated = ""
  let stderr = ""
  let commits = 0
  let plan: KillPlan | undefined
  let killTimer: NodeJS.Timeout | undefined

  child.stdout!.setEncoding("utf8")
  child.stdout!.on("data", (chunk: string) => {
    const parts = (unterminated + chunk).split("\n")
    // A line cut off by the kill stays here and is dropped, like lines the writer never wrote.
    unterminated = parts.pop()!
    for (const line of parts) {
      lines.push(line)
      if (!line.startsWith("commit ")) continue
      commits++
      if (commits === plan?.afterCommits) {
        killTimer = setTimeout(() => killWriter(child), plan.delayMillis)
      }
    }
  })
  child.stderr!.setEncoding("utf8")
  child.stderr!.on("data", (chunk: string) => void (stderr += chunk))

  const exited = new Promise<WriterRun>((resolve, reject) => {
    child.on("error", reject)
    // "close" comes once every process holding the stdout pipe has exited, the writer included.
    child.on("close", (exitCode, signal) => {
      clearTimeout(killTimer)
      running.delete(child)
      resolve({ lines, stderr, exitCode, signal })
    })
  })

  return {
    run: (kill) => {
      plan = kill
      child.stdin!.end()
      return exited
    }
  }
}

const randomKillPlan = (): KillPlan => ({
  afterCommits: minCommitsBeforeKill + Math.floor(Math.random() * (maxCommitsBeforeKill - minCommitsBeforeKill + 1)),
  delayMillis: Math.random() * maxKillDelayMillis
})

/** What one run's output shows. */
interface RunSummary {
  /** The first transaction number of the run, from its `start` line. */
  readonly first: number
  /** The highest transaction number with a `commit` line, or `first - 1` when none arrived. */
  readonly lastReportedCommit: number
  /** Whether the last line is `begin`, so the kill came after a transaction began and before its commit line was written. */
  readonly endedAfterBegin: boolean
}

/** Checks that a run's output is `start`, then `begin` and `commit` lines in transaction order, then `done` unless it was cut short. */
const summarizeRun = (run: WriterRun, runIndex: number): RunSummary => {
  const [startLine, ...rest] = run.lines
  const start = /^start (\d+)$/.exec(startLine ?? "")
  expect(start, `run ${runIndex}: first line ${JSON.stringify(startLine)}`).not.toBeNull()
  const first = Number(start![1])

  let next = first
  let lastReportedCommit = first - 1
  rest.forEach((line, index) => {
    if (line === "done") {
      expect(index, `run ${runIndex}: "done" is the last line`).toBe(rest.length - 1)
      return
    }
    const expectedLine = index % 2 === 0 ? `begin ${next}` : `commit ${next}`
    expect(line, `run ${runIndex}: line ${index + 2}`).toBe(expectedLine)
    if (index % 2 === 1) {
      lastReportedCommit = next
      next++
    }
  })
  return { first, lastReportedCommit, endedAfterBegin: rest.at(-1)?.startsWith("begin ") === true }
}

/** Replays transactions 0 to `committed` - 1 and returns the version each group must have, by group number. */
const replayVersions = (committed: number): Map<number, number> => {
  const versions = new Map<number, number>()
  for (let t = 0; t < committed; t++) versions.set(groupOf(t), t)
  return versions
}

/** Lists every stored session through the bus, 1,000 per page. The list handler decodes every row it returns. */
const listAllSessions = Effect.gen(function*() {
  const sessions: Array<MakaioSession> = []
  let cursor: string | null = null
  do {
    const payload: typeof list.request.Type = cursor === null ? { limit: 1_000 } : { limit: 1_000, cursor }
    const page: typeof list.response.Type = yield* Bus.request(list, payload)
    sessions.push(...page.sessions)
    cursor = page.nextCursor
  } while (cursor !== null)
  return sessions
})

/** Opens the database through the runtime, then runs the integrity check and reads every session. */
const inspectDatabase = (databaseFile: string) =>
  Effect.gen(function*() {
    const database = yield* Database
    const integrity = yield* database.run("integrity_check", () =>
      Effect.succeed(database.connection.pragma("integrity_check", { simple: true })))
    const sessions = yield* listAllSessions
    return { integrity, sessions }
  }).pipe(Effect.provide(SqliteStorageLayer({ filename: databaseFile }).pipe(Layer.provideMerge(Bus.layer()))))

interface Member {
  readonly member: number
  readonly session: MakaioSession
}

/** Groups stored sessions by the group number in their id. Ids that `sessionId` does not produce are listed apart. */
const groupSessions = (sessions: ReadonlyArray<MakaioSession>) => {
  const groups = new Map<number, Array<Member>>()
  const unexpectedIds: Array<string> = []
  for (const session of sessions) {
    const match = /^g(\d+)-m(\d+)$/.exec(session.id)
    const group = Number(match?.[1])
    const member = Number(match?.[2])
    if (match === null || sessionId(group, member) !== session.id) {
      unexpectedIds.push(session.id)
      continue
    }
    const members = groups.get(group) ?? []
    members.push({ member, session })
    groups.set(group, members)
  }
  return { groups, unexpectedIds }
}

/**
 * Describes how a group is not whole (missing members, or members from
 * different transactions), or returns undefined for a whole group.
 */
const describeTornGroup = (group: number, members: ReadonlyArray<Member>): string | undefined => {
  const memberNumbers = members.map(({ member }) => member).sort((a, b) => a - b)
  const versions = new Set(members.map(({ session }) => session.version))
  const version = Number(members[0]!.session.version)
  const allMembers = memberNumbers.length === groupSize && memberNumbers.every((member, index) => member === index)
  const sameWrite = versions.size === 1 && members.every(({ member, session }) =>
    session.title === groupTitle(group, version)
    && session.metadata.group === group
    && session.metadata.member === member
    && session.metadata.version === version
  )
  if (allMembers && sameWrite) return undefined
  const titles = members.map(({ session }) => session.title).join(" | ")
  return `group ${group}: members [${memberNumbers.join(", ")}], versions [${[...versions].join(", ")}], titles [${titles}]`
}

/** Lists every group whose stored version differs from the expected one, or that only one side has. */
const compareVersions = (stored: Map<number, number>, expected: Map<number, number>): Array<string> => {
  const differences: Array<string> = []
  for (const [group, version] of expected) {
    const storedVersion = stored.get(group)
    if (storedVersion !== version) {
      differences.push(`group ${group}: expected version ${version}, stored ${storedVersion ?? "nothing"}`)
    }
  }
  for (const group of stored.keys()) {
    if (!expected.has(group)) differences.push(`group ${group}: stored, but no committed transaction writes it`)
  }
  return differences
}

describe("SQLite storage crash safety", () => {
  it("keeps groups whole after SIGKILLs", async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "makaio-crash-"))
    temporaryDirectories.push(directory)
    const databaseFile = path.join(directory, "crash.db")
    const summaries: Array<RunSummary> = []
    let highestReportedCommit = -1
    let killedMidStream = 0

    // Writers start ahead of their turn, so their start-up overlaps the runs before them.
    const waiting: Array<Writer> = []
    for (let runIndex = 0; runIndex < runs; runIndex++) {
      if (testEnded) return
      while (waiting.length < Math.min(writersStartedAhead + 1, runs - runIndex)) {
        waiting.push(startWriter(databaseFile))
      }
      const run = await waiting.shift()!.run(randomKillPlan())

      const finished = run.lines.at(-1) === "done"
      const ending = `run ${runIndex} ended with exit code ${run.exitCode} and signal ${run.signal}, `
        + `expected SIGKILL or a finished run with exit code 0. Its stderr:\n${run.stderr}`
      expect(run.signal === "SIGKILL" || (finished && run.exitCode === 0), ending).toBe(true)
      if (!finished) killedMidStream++
      const summary = summarizeRun(run, runIndex)
      expect(summary.first, `run ${runIndex}: first transaction (lower means a reported commit was lost)`).toBeGreaterThan(
        highestReportedCommit
      )
      highestReportedCommit = summary.lastReportedCommit
      summaries.push(summary)
    }

    const { integrity, sessions } = await Effect.runPromise(inspectDatabase(databaseFile))
    expect(integrity).toBe("ok")

    // Transactions run in order and a cut-off one runs again, so versions 0 to the highest stored one all committed.
    const committed = sessions.reduce((highest, session) => Math.max(highest, Number(session.version)), -1) + 1
    expect(committed, "transactions committed (lower means a reported commit was lost)").toBeGreaterThan(highestReportedCommit)

    const { groups, unexpectedIds } = groupSessions(sessions)
    expect(unexpectedIds).toEqual([])
    const tornGroups = [...groups].map(([group, members]) => describeTornGroup(group, members)).filter((torn) => torn !== undefined)
    expect(tornGroups).toEqual([])
    const storedVersions = new Map([...groups].map(([group, members]) => [group, Number(members[0]!.session.version)]))
    expect(compareVersions(storedVersions, replayVersions(committed))).toEqual([])

    // These guard against a vacuous pass. They require many commits, and writers cut off mid-stream and mid-transaction.
    const killedInTransaction = summaries.filter((summary) => summary.endedAfterBegin).length
    console.info(
      `${committed} transactions committed; of ${runs} runs, ${killedMidStream} were killed mid-stream, `
        + `${killedInTransaction} between a begin line and its commit line`
    )
    expect(committed).toBeGreaterThanOrEqual(runs * minCommitsBeforeKill)
    expect(killedMidStream).toBeGreaterThanOrEqual(runs / 2)
    expect(killedInTransaction).toBeGreaterThanOrEqual(1)
  }, testTimeoutMillis)
})
