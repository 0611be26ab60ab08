import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Either, FastCheck, ParseResult, Schema } from "effect"
import { compileFastDecoder, invalid } from "../../src/bus/internal/fastDecode.js"
import { JsonValue, MakaioSession, SessionStorage } from "../../src/index.js"

class Tagged extends Schema.TaggedError<Tagged>()("Tagged", { detail: Schema.String }) {}

const schemas: ReadonlyArray<readonly [string, Schema.Schema.AnyNoContext]> = [
  ["session", MakaioSession],
  ["json value", JsonValue],
  ["set request", SessionStorage.subjects.set.request],
  ["changed event", SessionStorage.subjects.changed.payload],
  ["optional and nullable fields", Schema.Struct({
    a: Schema.optional(Schema.String),
    b: Schema.NullOr(Schema.Number),
    c: Schema.optionalWith(Schema.Boolean, { exact: true })
  })],
  ["literals and refinements", Schema.Struct({
    kind: Schema.Literal("a", "b", 3),
    count: Schema.Int.pipe(Schema.between(0, 10)),
    big: Schema.BigInt.pipe(Schema.betweenBigInt(-5n, 5n))
  })],
  ["arrays, records and tuples", Schema.Struct({
    list: Schema.Array(Schema.Struct({ id: Schema.String })),
    map: Schema.Record({ key: Schema.String, value: Schema.Number }),
    pair: Schema.Tuple(Schema.String, Schema.Number)
  })],
  ["disjoint union", Schema.Union(Schema.String, Schema.Struct({ x: Schema.Number }), Schema.Array(Schema.Number))],
  ["struct union", Schema.Union(Schema.Struct({ x: Schema.Number }), Schema.Struct({ y: Schema.String }))],
  ["template literal", Schema.TemplateLiteral("id-", Schema.Number)],
  ["tagged error", Tagged]
]

/** Values that are often almost right: valid ones with a field removed, replaced or added. */
const near = (value: unknown): FastCheck.Arbitrary<unknown> =>
  typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Date || Object.keys(value).length === 0
    ? FastCheck.anything()
    : FastCheck.oneof(
      FastCheck.constantFrom(...Object.keys(value)).map((key) => {
        const { [key]: _removed, ...rest } = value as Record<string, unknown>
        return rest
      }),
      FastCheck.tuple(FastCheck.constantFrom(...Object.keys(value)), FastCheck.anything()).map(([key, replacement]) => ({ ...value, [key]: replacement })),
      FastCheck.tuple(FastCheck.string(), FastCheck.anything()).map(([key, extra]) => ({ ...value, [key]: extra }))
    )

describe("fast decoder", () => {
  for (const [name, schema] of schemas) {
    const typeSide = Schema.typeSchema(schema)
    const fast = compileFastDecoder(typeSide.ast)
    const effect = ParseResult.decodeUnknownEither(typeSide, { onExcessProperty: "ignore" })
    const valid = Arbitrary.make(typeSide)
    const candidates = FastCheck.oneof(valid, valid.chain(near), FastCheck.anything())

    it.prop(`agrees with Effect: ${name}`, [candidates], ([input]) => {
      if (fast === undefined) return
      const fastResult = fast(input)
      const effectResult = effect(input)
      expect(fastResult === invalid).toBe(Either.isLeft(effectResult))
      if (fastResult !== invalid && Either.isRight(effectResult)) {
        expect(fastResult).toEqual(effectResult.right)
      }
    }, { fastCheck: { numRuns: 300 } })
  }

  it("compiles the common shapes", () => {
    const compiled = schemas.filter(([, schema]) => compileFastDecoder(Schema.typeSchema(schema).ast) !== undefined).map(([name]) => name)
    // Struct unions, template literals and class schemas are left to Effect's decoder.
    expect(compiled).toEqual([
      "session",
      "json value",
      "set request",
      "changed event",
      "optional and nullable fields",
      "literals and refinements",
      "arrays, records and tuples",
      "disjoint union"
    ])
  })

  it("copies structs, arrays and dates", () => {
    const decode = compileFastDecoder(Schema.typeSchema(MakaioSession).ast)!
    const input = { id: "a", status: "s", title: null, metadata: { list: [1] }, createdAt: new Date(5), updatedAt: new Date(6), version: 1n }
    const output = decode(input) as typeof input
    expect(output).toEqual(input)
    expect(output).not.toBe(input)
    expect(output.metadata.list).not.toBe(input.metadata.list)
    expect(output.createdAt).not.toBe(input.createdAt)
  })
})
