import * as fs from "node:fs"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { Effect, Option } from "effect"
import type { Extension } from "../../kernel/Extension.js"
import { ConfigError } from "./CliError.js"

/** The config files looked for in the working directory, in this order, when no `--config` is given. */
export const defaultConfigFiles = ["makaio.config.ts", "makaio.config.mts", "makaio.config.js", "makaio.config.mjs"]

const howToExport = "Export them as `export default { extensions: [...] }` or `export const extensions = [...]`."

/** Finds the config file: the given path, which must exist, or the first default file in the working directory. */
const locate = (configPath: Option.Option<string>): Effect.Effect<string | undefined, ConfigError> =>
  Effect.suspend(() => {
    if (Option.isNone(configPath)) {
      const found = defaultConfigFiles.map((name) => path.resolve(name)).find((file) => fs.existsSync(file))
      return Effect.succeed(found)
    }
    const file = path.resolve(configPath.value)
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
      return Effect.fail(new ConfigError({ path: file, detail: "the file does not exist. Pass the path of a module that exports the extensions." }))
    }
    return Effect.succeed(file)
  })

const isExtension = (value: unknown): value is Extension =>
  typeof value === "object" && value !== null &&
  typeof (value as Extension).name === "string" && Array.isArray((value as Extension).dependsOn)

/** Picks the extensions out of the config module and checks each was made by `Extension.make`. */
const extensionsOf = (file: string, module: Record<string, unknown>): Effect.Effect<ReadonlyArray<Extension>, ConfigError> => {
  const fromDefault = (module.default as { readonly extensions?: unknown } | undefined)?.extensions
  const extensions = fromDefault ?? module.extensions
  if (!Array.isArray(extensions)) {
    return Effect.fail(new ConfigError({ path: file, detail: `the module exports no array of extensions. ${howToExport}` }))
  }
  const invalid = extensions.findIndex((extension) => !isExtension(extension))
  if (invalid !== -1) {
    return Effect.fail(new ConfigError({
      path: file,
      detail: `extensions[${invalid}] is not an extension. Create each one with Extension.make from @makaio/runtime.`
    }))
  }
  return Effect.succeed(extensions)
}

/** The loaded config: its file, when one was found, and its extensions. */
export interface LoadedConfig {
  readonly file: string | undefined
  readonly extensions: ReadonlyArray<Extension>
}

/**
 * Loads the application's extensions from the config module: `--config`
 * when given, otherwise the first of `defaultConfigFiles` in the working
 * directory, otherwise none. TypeScript configs import because the CLI runs
 * under tsx's loader.
 */
export const loadConfig = (configPath: Option.Option<string>): Effect.Effect<LoadedConfig, ConfigError> =>
  Effect.gen(function*() {
    const file = yield* locate(configPath)
    if (file === undefined) {
      return { file, extensions: [] }
    }
    const module = yield* Effect.tryPromise({
      try: () => import(pathToFileURL(file).href) as Promise<Record<string, unknown>>,
      catch: (cause) => new ConfigError({ path: file, detail: `importing it failed: ${cause instanceof Error ? cause.message : String(cause)}` })
    })
    return { file, extensions: yield* extensionsOf(file, module) }
  })
