import { Layer } from "effect"
import { Bus, MemoryStorageLayer, SessionStorage, StorageCache } from "../../src/index.js"
import { runStorageConformance } from "./storageConformance.js"

runStorageConformance("memory", () => MemoryStorageLayer.pipe(Layer.provideMerge(Bus.layer())))

runStorageConformance("memory behind a cache", () =>
  Layer.mergeAll(MemoryStorageLayer, StorageCache.layer(SessionStorage)).pipe(Layer.provideMerge(Bus.layer())))
