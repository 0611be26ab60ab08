import type { Schema } from "effect"
import type { Namespace } from "../Bus.js"
import type { EventSubject, RequestSubject, Subject } from "../Subject.js"

/** Two schemas are the same when they are one object or their ASTs serialize identically. */
const sameSchema = (left: Schema.Schema.All, right: Schema.Schema.All): boolean =>
  left === right || JSON.stringify(left.ast) === JSON.stringify(right.ast)

/** Tells whether two subjects have the same kind, name and schemas. */
export const sameSubject = (left: Subject, right: Subject): boolean => {
  if (left === right) return true
  if (left._tag !== right._tag || left.name !== right.name) return false
  if (left._tag === "EventSubject") {
    return sameSchema(left.payload, (right as EventSubject.Any).payload)
  }
  const other = right as RequestSubject.Any
  return sameSchema(left.request, other.request) &&
    sameSchema(left.response, other.response) &&
    sameSchema(left.failure, other.failure)
}

/** Returns the name of the first subject whose definition differs between two namespaces, if any. */
export const findConflict = (left: Namespace, right: Namespace): string | undefined => {
  const names = new Set([...Object.keys(left.subjects), ...Object.keys(right.subjects)])
  for (const name of names) {
    const before = left.subjects[name]
    const after = right.subjects[name]
    if (before === undefined || after === undefined || !sameSubject(before, after)) {
      return (before ?? after)!.name
    }
  }
  return undefined
}
