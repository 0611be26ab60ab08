import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { DependencyCycleError, DuplicateExtensionError, MissingDependencyError } from "../../src/index.js"
import { orderExtensions } from "../../src/kernel/internal/order.js"
import { bootFailure, bootOnce, migratingExtension, readLedger, temporaryDirectory } from "./fixtures.js"

/** An extension with one migration creating `<name>_items`, whose Layer records that it was built. */
const recordingExtension = (root: string, name: string, dependsOn: ReadonlyArray<string>, built: Array<string>) =>
  migratingExtension(root, name, {
    dependsOn,
    files: [{ tag: "0000_init", statements: [`CREATE TABLE ${name}_items (id INTEGER PRIMARY KEY)`] }],
    layer: Layer.effectDiscard(Effect.sync(() => void built.push(name)))
  })

describe("Kernel extension order", () => {
  it.scoped("dependencies boot before dependents", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "test.db")
      const built: Array<string> = []
      // a depends on b, b depends on c; declared as [a, c, b].
      const extensions = [
        recordingExtension(root, "a", ["b"], built),
        recordingExtension(root, "c", [], built),
        recordingExtension(root, "b", ["c"], built)
      ]

      const kernel = yield* bootOnce({ filename, extensions })

      expect(kernel.extensions).toEqual(["c", "b", "a"])
      expect(kernel.reports.map((report) => report.extension)).toEqual(["c", "b", "a"])
      expect(built).toEqual(["c", "b", "a"])
      expect(readLedger(filename)).toEqual([
        { extension: "c", tag: "0000_init" },
        { extension: "b", tag: "0000_init" },
        { extension: "a", tag: "0000_init" }
      ])
    }))

  it.scoped("independent extensions keep declaration order", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "test.db")
      const built: Array<string> = []
      // Declared against alphabetical order, so a sort by name would show.
      const extensions = [
        recordingExtension(root, "zeta", [], built),
        recordingExtension(root, "mid", [], built),
        recordingExtension(root, "alpha", [], built)
      ]

      const kernel = yield* bootOnce({ filename, extensions })

      expect(kernel.extensions).toEqual(["zeta", "mid", "alpha"])
      expect(built).toEqual(["zeta", "mid", "alpha"])
      expect(readLedger(filename)?.map((entry) => entry.extension)).toEqual(["zeta", "mid", "alpha"])
    }))

  it.scoped("dependents wait, others keep order", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "test.db")
      const built: Array<string> = []
      // first depends on last; middle depends on nothing and keeps its place before last.
      const extensions = [
        recordingExtension(root, "first", ["last"], built),
        recordingExtension(root, "middle", [], built),
        recordingExtension(root, "last", [], built)
      ]

      const kernel = yield* bootOnce({ filename, extensions })

      expect(kernel.extensions).toEqual(["middle", "last", "first"])
      expect(built).toEqual(["middle", "last", "first"])
    }))

  it.scoped("core boots first by default", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "test.db")
      const built: Array<string> = []

      const kernel = yield* bootOnce({ filename, core: true, extensions: [recordingExtension(root, "app", [], built)] })

      expect(kernel.extensions).toEqual(["core", "app"])
      expect(readLedger(filename)).toEqual([
        { extension: "core", tag: "0000_core" },
        { extension: "app", tag: "0000_init" }
      ])
    }))

  it.scoped("cycle fails before database opens", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "data", "test.db")
      const built: Array<string> = []
      const extensions = [recordingExtension(root, "x", ["y"], built), recordingExtension(root, "y", ["x"], built)]

      const error = yield* bootFailure({ filename, extensions })

      assert(error instanceof DependencyCycleError, `expected DependencyCycleError, got ${error._tag}`)
      expect(error.cycle).toEqual(["x", "y", "x"])
      expect(error.message).toContain("x -> y -> x")
      expect(fs.existsSync(path.dirname(filename))).toBe(false)
      expect(built).toEqual([])
    }))

  it.scoped("missing dependency names both extensions", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "data", "test.db")
      const built: Array<string> = []
      const extensions = [recordingExtension(root, "ok", [], built), recordingExtension(root, "needy", ["z"], built)]

      const error = yield* bootFailure({ filename, extensions })

      assert(error instanceof MissingDependencyError, `expected MissingDependencyError, got ${error._tag}`)
      expect(error.extension).toBe("needy")
      expect(error.dependency).toBe("z")
      expect(error.message).toContain("\"needy\" depends on \"z\"")
      expect(fs.existsSync(path.dirname(filename))).toBe(false)
      expect(built).toEqual([])
    }))

  it.scoped("duplicate name fails before database opens", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "data", "test.db")
      const built: Array<string> = []
      const extension = recordingExtension(root, "twice", [], built)

      const error = yield* bootFailure({ filename, extensions: [extension, recordingExtension(root, "other", [], built), extension] })

      assert(error instanceof DuplicateExtensionError, `expected DuplicateExtensionError, got ${error._tag}`)
      expect(error.extension).toBe("twice")
      expect(fs.existsSync(path.dirname(filename))).toBe(false)
      expect(built).toEqual([])
    }))

  it.scoped("extension named core clashes with core", () =>
    Effect.gen(function*() {
      const root = yield* temporaryDirectory
      const filename = path.join(root, "data", "test.db")

      const error = yield* bootFailure({ filename, core: true, extensions: [recordingExtension(root, "core", [], [])] })

      assert(error instanceof DuplicateExtensionError, `expected DuplicateExtensionError, got ${error._tag}`)
      expect(error.extension).toBe("core")
      expect(fs.existsSync(path.dirname(filename))).toBe(false)
    }))
})

describe("orderExtensions", () => {
  it.effect("long cycle lists its members only", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(orderExtensions([
        { name: "w", dependsOn: ["x"] },
        { name: "x", dependsOn: ["y"] },
        { name: "y", dependsOn: ["z"] },
        { name: "z", dependsOn: ["x"] }
      ]))

      assert(error instanceof DependencyCycleError, `expected DependencyCycleError, got ${error._tag}`)
      expect(error.cycle).toEqual(["x", "y", "z", "x"])
    }))

  it.effect("self dependency is a cycle", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(orderExtensions([{ name: "solo", dependsOn: ["solo"] }]))

      assert(error instanceof DependencyCycleError, `expected DependencyCycleError, got ${error._tag}`)
      expect(error.cycle).toEqual(["solo", "solo"])
    }))

  it.effect("diamond places shared dependency once", () =>
    Effect.gen(function*() {
      const ordered = yield* orderExtensions([
        { name: "top", dependsOn: ["left", "right"] },
        { name: "left", dependsOn: ["base"] },
        { name: "right", dependsOn: ["base"] },
        { name: "base" }
      ])

      expect(ordered.map((node) => node.name)).toEqual(["base", "left", "right", "top"])
    }))
})
