import * as Options from "@effect/cli/Options"
import { Config, Effect, Layer, Option } from "effect"
import { Bus } from "../../bus/Bus.js"
import { Kernel } from "../../kernel/Kernel.js"
import { Database, defaultFilename } from "../../storage/Database.js"
import { UsageError } from "./CliError.js"
import { type LoadedConfig, loadConfig } from "./config.js"

/** The options every command takes to open the application: its database and its config. */
export const applicationOptions = {
  db: Options.text("db").pipe(
    Options.withDescription(
      `The SQLite database file. Default: the MAKAIO_DB environment variable, else ${defaultFilename}. ` +
        "A missing file is created with its directory, except by migrate --status."
    ),
    Options.optional
  ),
  memory: Options.boolean("memory").pipe(
    Options.withDescription("Use a private in-memory database instead of a file; nothing is kept after the command.")
  ),
  config: Options.text("config").pipe(
    Options.withDescription(
      "A module that exports the application's extensions (`export default { extensions }` or `export const extensions`). " +
        "Default: ./makaio.config.ts (or .mts, .js, .mjs) in the working directory, when it exists."
    ),
    Options.optional
  )
}

/** The parsed values of `applicationOptions`. */
export interface ApplicationOptions {
  readonly db: Option.Option<string>
  readonly memory: boolean
  readonly config: Option.Option<string>
}

/** The application a command opens: the database file (or `":memory:"`) and the config's extensions. */
export interface Application {
  readonly filename: string
  readonly config: LoadedConfig
}

/** Picks the database: `--memory`, else `--db`, else `MAKAIO_DB`, else the runtime's default file. */
const resolveFilename = (options: ApplicationOptions): Effect.Effect<string, UsageError> =>
  Effect.gen(function*() {
    if (options.memory && Option.isSome(options.db)) {
      return yield* new UsageError({ detail: "--db and --memory exclude each other; pass one of them." })
    }
    if (options.memory) return ":memory:"
    if (Option.isSome(options.db)) {
      if (options.db.value.trim() === "") {
        return yield* new UsageError({ detail: "--db needs a file path; use --memory for a database that is not kept." })
      }
      return options.db.value
    }
    const fromEnvironment = yield* Effect.orDie(Config.option(Config.nonEmptyString("MAKAIO_DB")))
    return Option.getOrElse(fromEnvironment, () => defaultFilename)
  })

/** Resolves the database and loads the config, without opening anything. */
export const loadApplication = (options: ApplicationOptions) =>
  Effect.all({ filename: resolveFilename(options), config: loadConfig(options.config) })

/** The kernel of the application on a new bus: booting it opens the database and applies pending migrations. */
export const applicationLayer = (application: Application) =>
  Kernel.layer({
    extensions: application.config.extensions,
    database: Database.layerSqlite({ filename: application.filename })
  }).pipe(Layer.provideMerge(Bus.layer()))
