import { Effect } from "effect"
import { DependencyCycleError, DuplicateExtensionError, MissingDependencyError } from "../KernelError.js"

/** What ordering needs to know of an extension. */
export interface Node {
  readonly name: string
  readonly dependsOn?: ReadonlyArray<string> | undefined
}

/** Finds a cycle among extensions that could not be placed, in dependency order. */
const findCycle = (remaining: ReadonlyArray<Node>): ReadonlyArray<string> => {
  const byName = new Map(remaining.map((node) => [node.name, node]))
  const path: Array<string> = []
  const onPath = new Set<string>()
  const done = new Set<string>()

  const visit = (name: string): ReadonlyArray<string> | undefined => {
    if (onPath.has(name)) return [...path.slice(path.indexOf(name)), name]
    if (done.has(name)) return undefined
    onPath.add(name)
    path.push(name)
    for (const dependency of byName.get(name)?.dependsOn ?? []) {
      if (byName.has(dependency)) {
        const cycle = visit(dependency)
        if (cycle !== undefined) return cycle
      }
    }
    path.pop()
    onPath.delete(name)
    done.add(name)
    return undefined
  }

  for (const node of remaining) {
    const cycle = visit(node.name)
    if (cycle !== undefined) return cycle
  }
  return remaining.map((node) => node.name)
}

/**
 * Orders extensions so that each comes after its dependencies, keeping the
 * declaration order among extensions that do not depend on each other.
 */
export const orderExtensions = <N extends Node>(
  nodes: ReadonlyArray<N>
): Effect.Effect<ReadonlyArray<N>, DuplicateExtensionError | MissingDependencyError | DependencyCycleError> =>
  Effect.suspend((): Effect.Effect<ReadonlyArray<N>, DuplicateExtensionError | MissingDependencyError | DependencyCycleError> => {
    const names = new Set<string>()
    for (const node of nodes) {
      if (names.has(node.name)) return Effect.fail(new DuplicateExtensionError({ extension: node.name }))
      names.add(node.name)
    }
    for (const node of nodes) {
      for (const dependency of node.dependsOn ?? []) {
        if (!names.has(dependency)) {
          return Effect.fail(new MissingDependencyError({ extension: node.name, dependency }))
        }
      }
    }

    const ordered: Array<N> = []
    const placed = new Set<string>()
    let remaining = [...nodes]
    while (remaining.length > 0) {
      const next = remaining.find((node) => (node.dependsOn ?? []).every((dependency) => placed.has(dependency)))
      if (next === undefined) {
        return Effect.fail(new DependencyCycleError({ cycle: findCycle(remaining) }))
      }
      ordered.push(next)
      placed.add(next.name)
      remaining = remaining.filter((node) => node !== next)
    }
    return Effect.succeed(ordered)
  })
