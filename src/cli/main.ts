/**
 * The `makaio` command line: opens the kernel the application uses (the core
 * and the config's extensions on its SQLite database), lists its subjects,
 * sends requests and applies migrations. Run it with `npm run cli -- <command>`
 * or through the package's `makaio` bin.
 */
import * as fs from "node:fs"
import * as Command from "@effect/cli/Command"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Effect, Exit, Layer, Logger, LogLevel } from "effect"
import { migrateCommand } from "./commands/migrate.js"
import { requestCommand } from "./commands/request.js"
import { subjectsCommand } from "./commands/subjects.js"
import { UsageError } from "./internal/CliError.js"
import { ExitCode, exitCodesHelp } from "./internal/exitCodes.js"
import { reportFailure } from "./internal/report.js"

const packageJson = JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { readonly version: string }

const makaio = Command.make("makaio", {}, () =>
  new UsageError({ detail: "name a command: subjects, request or migrate. Run makaio --help for the details." })).pipe(
    Command.withDescription(
      "Open the application's kernel (the core and the config's extensions on its SQLite database) " +
        "to list its subjects, send requests and apply migrations."
    ),
    Command.withSubcommands([subjectsCommand, requestCommand, migrateCommand])
  )

const cli = Command.run(makaio, { name: "makaio", version: packageJson.version, executable: "makaio", footer: exitCodesHelp })

/** Boot logs below Warning stay out of the output; `--log-level debug` shows them. Logs go to standard error. */
const logging = Layer.merge(
  Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger)),
  Logger.minimumLogLevel(LogLevel.Warning)
)

const program = cli(process.argv).pipe(
  Effect.as(ExitCode.success),
  Effect.catchAllCause(reportFailure),
  Effect.provide(Layer.merge(NodeContext.layer, logging))
)

NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  disablePrettyLogger: true,
  teardown: (exit) => {
    const code = Exit.isSuccess(exit)
      ? Number(exit.value)
      : Cause.isInterruptedOnly(exit.cause) ? ExitCode.interrupted : ExitCode.unexpected
    // process.exit drops output still queued for a pipe on some platforms, so both streams are flushed first.
    process.stdout.write("", () => process.stderr.write("", () => process.exit(code)))
  }
})
