import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Layer, ManagedRuntime } from "effect"
import { Bus, type MakaioSession, SqliteStorageLayer, StorageCache, SessionStorage } from "../../src/index.js"

/** A temporary directory, removed by the returned function. */
export const temporaryDirectory = (): { readonly directory: string; readonly remove: () => void } => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "makaio-bench-"))
  return { directory, remove: () => fs.rmSync(directory, { recursive: true, force: true }) }
}

const createdAt = new Date(Date.UTC(2026, 0, 1))

/** The session stored under index `index`. */
export const sessionAt = (index: number): MakaioSession => ({
  id: `session-${String(index).padStart(6, "0")}`,
  status: index % 3 === 0 ? "open" : "closed",
  title: `Session number ${index}`,
  metadata: { index, tags: ["bench"] },
  createdAt: new Date(createdAt.getTime() + index),
  updatedAt: new Date(createdAt.getTime() + index),
  version: BigInt(index)
})

/** A runtime with SQLite storage on `filename`, optionally with a cache in front of session storage. */
export const sqliteRuntime = (filename: string, options: Bus.Options, cache?: StorageCache.StorageCacheOptions) => {
  const storage = SqliteStorageLayer({ filename, synchronous: "normal" })
  const withCache = cache === undefined ? storage : Layer.merge(storage, StorageCache.layer(SessionStorage, cache))
  return ManagedRuntime.make(withCache.pipe(Layer.provideMerge(Bus.layer(options))))
}
