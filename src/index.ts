/**
 * @makaio/runtime: a typed message bus for Effect programs, with storage behind it.
 */
export { Bus } from "./bus/Bus.js"
export type {
  BusDescription,
  BusOptions,
  BusService,
  HandleOptions,
  ListenerDescription,
  RequestOptions,
  SubjectDescription,
  SubscribeOptions,
  TimeoutInput,
  ValidationMode
} from "./bus/Bus.js"
export * from "./bus/BusError.js"
export type { Handler, HandlerContext } from "./bus/HandlerContext.js"
export * as Subject from "./bus/Subject.js"
export type { EventSubject, RequestSubject } from "./bus/Subject.js"
