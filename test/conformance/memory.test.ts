import { Layer } from "effect"
import { Bus, MemoryStorageLayer } from "../../src/index.js"
import { runStorageConformance } from "./storageConformance.js"

runStorageConformance("memory", () => MemoryStorageLayer.pipe(Layer.provideMerge(Bus.layer())))
