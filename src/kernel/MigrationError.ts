import { Schema } from "effect"

/** Why a migration could not be read or applied. */
export const MigrationFailure = Schema.Literal(
  /** The migrations path resolves outside the extension's package root. */
  "path-outside-package",
  /** The migrations folder, its journal or a file the journal lists is missing or unreadable. */
  "unreadable",
  /** A file that was already applied has changed since. */
  "changed-after-apply",
  /** A statement of the migration failed; the migration was rolled back. */
  "statement-failed"
)
export type MigrationFailure = typeof MigrationFailure.Type

const advice: Record<MigrationFailure, string> = {
  "path-outside-package": "keep the migrations folder inside the package root",
  "unreadable": "generate the folder with drizzle-kit and check the path",
  "changed-after-apply": "restore the applied file and add a new migration for the change",
  "statement-failed": "fix the migration and boot again; nothing of it was applied"
}

/** A migration could not be read or applied. Boot stops; the database keeps every earlier migration. */
export class MigrationError extends Schema.TaggedError<MigrationError>()("MigrationError", {
  extension: Schema.String,
  reason: MigrationFailure,
  /** The folder or file involved. */
  path: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    switch (this.reason) {
      case "path-outside-package":
      case "unreadable":
        return `Cannot read the migrations of extension "${this.extension}" (${this.path}): ${this.detail}; ${advice[this.reason]}.`
      case "changed-after-apply":
        return `A migration of extension "${this.extension}" changed after it was applied (${this.path}): ${this.detail}; ${advice[this.reason]}.`
      case "statement-failed":
        return `Migration failed for extension "${this.extension}" (${this.path}): ${this.detail}; ${advice[this.reason]}.`
    }
  }
}
