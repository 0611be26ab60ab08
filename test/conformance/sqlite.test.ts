import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Layer } from "effect"
import { Bus, SessionStorage, SqliteStorageLayer, StorageCache } from "../../src/index.js"
import { runStorageConformance } from "./storageConformance.js"

/** A fresh database file in a temporary directory, removed when the Layer is released. */
const temporaryFile = Layer.unwrapScoped(Effect.gen(function*() {
  const directory = yield* Effect.acquireRelease(
    Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "makaio-conformance-"))),
    (created) => Effect.sync(() => fs.rmSync(created, { recursive: true, force: true }))
  )
  return SqliteStorageLayer({ filename: path.join(directory, "test.db") })
}))

runStorageConformance("sqlite file", () => temporaryFile.pipe(Layer.provideMerge(Bus.layer())))
runStorageConformance("sqlite :memory:", () => SqliteStorageLayer({ filename: ":memory:" }).pipe(Layer.provideMerge(Bus.layer())))

runStorageConformance("sqlite behind a cache", () =>
  StorageCache.layer(SessionStorage).pipe(
    Layer.provideMerge(temporaryFile),
    Layer.provideMerge(Bus.layer())
  ))
