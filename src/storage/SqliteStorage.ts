import type { Layer } from "effect"
import type { Bus } from "../bus/Bus.js"
import { type BootError, Kernel } from "../kernel/Kernel.js"
import { Database, type SqliteOptions } from "./Database.js"

/**
 * SQLite storage for every namespace the runtime ships: the kernel with only
 * the `core` extension, on a SQLite database (default `./data/makaio.db`,
 * `":memory:"` accepted). It applies the core migrations, registers the SQLite
 * handlers, and provides the database services. Add extensions with
 * `Kernel.layer` instead.
 */
export const layer = (options: SqliteOptions = {}): Layer.Layer<Layer.Layer.Success<ReturnType<typeof Kernel.layer>>, BootError, Bus> =>
  Kernel.layer({ database: Database.layerSqlite(options) })
