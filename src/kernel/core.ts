import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { SessionStorage } from "../contracts/session.js"
import * as DrizzleStorage from "../storage/DrizzleStorage.js"
import { sessions } from "../storage/tables.js"
import * as Extension from "./Extension.js"

/** The root of this package: `migrations/` is resolved against it. */
const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..")

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
