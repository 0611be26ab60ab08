import { describe, expectTypeOf, it } from "@effect/vitest"
import { Effect } from "effect"
import type { HandlerContext, RequestError, RequestSubject } from "../../src/index.js"
import { Bus } from "../../src/index.js"
import { Happened, Lookup, type NotFound, Ping } from "./fixtures.js"

// These tests are checked by the type checker (`npm test` runs `tsc` first);
// at run time they only confirm that the file loads.
describe("Bus types", () => {
  it("infers payload, response, failure", () => {
    const request = Bus.request(Lookup, { user: { name: "Ada", age: 36 } })

    expectTypeOf(request).toEqualTypeOf<
      Effect.Effect<{ readonly greeting: string }, NotFound | RequestError, Bus>
    >()
    expectTypeOf<RequestSubject.Payload<typeof Lookup>>().toEqualTypeOf<{
      readonly user: { readonly name: string; readonly age: number }
    }>()
  })

  it("no declared failures", () => {
    expectTypeOf(Bus.request(Ping, {})).toEqualTypeOf<Effect.Effect<"pong", RequestError, Bus>>()
  })

  it("rejects a wrong payload", () => {
    // @ts-expect-error age must be a number
    Bus.request(Lookup, { user: { name: "Ada", age: "36" } })
    // @ts-expect-error user is required
    Bus.request(Lookup, {})
    // @ts-expect-error event payloads are typed too
    Bus.emit(Happened, { id: "1" })
  })

  it("types the handler context", () => {
    Bus.handle(Lookup, (context) => {
      expectTypeOf(context).toEqualTypeOf<HandlerContext<typeof Lookup>>()
      expectTypeOf(context.payload.user.age).toEqualTypeOf<number>()
      expectTypeOf(context.next()).toEqualTypeOf<
        Effect.Effect<{ readonly greeting: string }, NotFound | RequestError>
      >()
      return context.next()
    })

    // @ts-expect-error the response must match the subject's response schema
    Bus.handle(Ping, () => Effect.succeed("ping" as const))
    // @ts-expect-error a handler may fail only with the subject's declared failures
    Bus.handle(Lookup, () => Effect.fail(new Error("not declared")))
  })
})
