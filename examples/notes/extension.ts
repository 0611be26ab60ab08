import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { DrizzleStorage, Extension } from "../../src/index.js"
import { NoteStorage } from "./contract.js"
import { notes } from "./table.js"

/**
 * An example extension: note storage served from its own table, created by
 * its own drizzle-kit migrations. It depends on `core` because notes refer to
 * the session table.
 */
export const notesExtension = Extension.make({
  name: "notes",
  dependsOn: ["core"],
  storage: {
    packageRoot: path.dirname(fileURLToPath(import.meta.url)),
    migrations: "./migrations",
    handlers: DrizzleStorage.layer(NoteStorage, notes, {
      key: notes.id,
      toRow: (note) => ({ ...note }),
      fromRow: (row) => ({ ...row })
    })
  }
})
