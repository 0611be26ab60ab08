import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { SessionStorage } from "../contracts/session.js"
import * as DrizzleStorage from "../storage/DrizzleStorage.js"
import { sessions } from "../storage/tables.js"
import * as Extension from "./Extension.js"

/**
 * Finds the root of this package, the nearest directory above this module
 * with a `package.json`, so `migrations/` is found whether the module runs
 * from `src/` or from compiled output elsewhere in the package.
 */
const findPackageRoot = (start: string): string => {
  let directory = start
  while (!fs.existsSync(path.join(directory, "package.json"))) {
    const parent = path.dirname(directory)
    if (parent === directory) {
      throw new Error(`Cannot find the package root of @makaio/runtime above ${start}: no package.json was found.`)
    }
    directory = parent
  }
  return directory
}

const packageRoot = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)))

/**
 * The runtime's own extension: the core tables (migrations in `migrations/`)
 * and the SQLite handlers of session storage. The kernel boots it first.
 */
export const core: Extension.Extension = Extension.make({
  name: "core",
  storage: {
    packageRoot,
    migrations: "migrations",
    handlers: DrizzleStorage.layer(SessionStorage, sessions, {
      key: sessions.id,
      toRow: (session) => ({ ...session }),
      fromRow: (row) => ({ ...row })
    })
  }
})
