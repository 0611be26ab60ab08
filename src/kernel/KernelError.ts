import { Schema } from "effect"

/** Two extensions share a name. */
export class DuplicateExtensionError extends Schema.TaggedError<DuplicateExtensionError>()("DuplicateExtensionError", {
  extension: Schema.String
}) {
  override get message(): string {
    if (this.extension === "core") {
      return `Extension "core" is declared twice: the kernel boots the runtime's own "core" extension itself, ` +
        `so rename yours (or pass core: false to Kernel.layer to leave the runtime's out).`
    }
    return `Extension "${this.extension}" is declared twice: give each extension a unique name and declare it once.`
  }
}

/** An extension depends on one that is not declared. */
export class MissingDependencyError extends Schema.TaggedError<MissingDependencyError>()("MissingDependencyError", {
  extension: Schema.String,
  dependency: Schema.String
}) {
  override get message(): string {
    return `Extension "${this.extension}" depends on "${this.dependency}", which is not declared: add "${this.dependency}" to the extensions.`
  }
}

/** Extensions depend on each other in a cycle, so none of them can boot first. */
export class DependencyCycleError extends Schema.TaggedError<DependencyCycleError>()("DependencyCycleError", {
  /** The extensions of the cycle in dependency order, the first repeated at the end. */
  cycle: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `Extensions depend on each other in a cycle: ${this.cycle.join(" -> ")}. Remove one of these dependencies.`
  }
}

/** An extension's handlers could not be registered. */
export class ExtensionBootError extends Schema.TaggedError<ExtensionBootError>()("ExtensionBootError", {
  extension: Schema.String,
  cause: Schema.Defect
}) {
  override get message(): string {
    const detail = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `Extension "${this.extension}" failed to register its handlers: ${detail}`
  }
}
