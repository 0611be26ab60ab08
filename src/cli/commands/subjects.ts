import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { Console, Effect } from "effect"
import { Bus, type BusDescription, type SubjectDescription } from "../../bus/Bus.js"
import { applicationLayer, applicationOptions, loadApplication } from "../internal/application.js"

/** The heading of subjects that belong to no registered namespace. */
const noNamespace = "(no namespace)"

/** Lines for one subject: its name and kind, then its handler chain in dispatch order or its subscribers. */
const formatSubject = (subject: SubjectDescription, nameWidth: number): Array<string> => {
  const lines = [`  ${subject.name.padEnd(nameWidth)}  ${subject.kind}`]
  const extensionOf = (extension: string | undefined) => `extension ${extension ?? "(application)"}`
  if (subject.kind === "request") {
    const priorityWidth = Math.max(...subject.handlers.map((handler) => String(handler.priority).length))
    const labelWidth = Math.max(...subject.handlers.map((handler) => handler.label.length))
    for (const handler of subject.handlers) {
      const priority = String(handler.priority).padStart(priorityWidth)
      lines.push(`      priority ${priority}  ${handler.label.padEnd(labelWidth)}  ${extensionOf(handler.extension)}`)
    }
    if (subject.handlers.length === 0) lines.push("      no handler")
  } else {
    for (const subscriber of subject.subscribers) {
      lines.push(`      subscriber  ${subscriber.label}  ${extensionOf(subscriber.extension)}`)
    }
    if (subject.subscribers.length === 0) lines.push("      no subscribers")
  }
  return lines
}

/** Lists every namespace with its subjects, then the subjects of no namespace. */
export const formatDescription = (description: BusDescription): Array<string> => {
  const groups = new Map<string, Array<SubjectDescription>>()
  const namespaceOf = new Map<string, string>()
  for (const namespace of description.namespaces) {
    groups.set(namespace.name, [])
    for (const name of namespace.subjects) namespaceOf.set(name, namespace.name)
  }
  for (const subject of description.subjects) {
    const group = namespaceOf.get(subject.name) ?? noNamespace
    groups.set(group, [...(groups.get(group) ?? []), subject])
  }

  const nameWidth = Math.max(0, ...description.subjects.map((subject) => subject.name.length))
  const lines: Array<string> = []
  for (const [namespace, subjects] of groups) {
    lines.push(namespace, ...subjects.flatMap((subject) => formatSubject(subject, nameWidth)))
  }
  return lines.length === 0 ? ["No subjects are registered."] : lines
}

/** `makaio subjects`: boots the application and lists what `Bus.describe` reports. */
export const subjectsCommand = Command.make(
  "subjects",
  {
    ...applicationOptions,
    json: Options.boolean("json").pipe(Options.withDescription("Print the description as JSON instead of text."))
  },
  (options) =>
    Effect.gen(function*() {
      const application = yield* loadApplication(options)
      const description = yield* Bus.describe.pipe(Effect.provide(applicationLayer(application)))
      yield* Console.log(options.json ? JSON.stringify(description, null, 2) : formatDescription(description).join("\n"))
    })
).pipe(Command.withDescription(
  "List every namespace and subject, with each request subject's handler chain in dispatch order " +
    "(priority, label, extension) and each event subject's subscribers."
))
