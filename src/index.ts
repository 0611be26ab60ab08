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
  Namespace,
  NamespaceDescription,
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
export * as StorageNamespace from "./storage/StorageNamespace.js"
export { createStorageNamespace } from "./storage/StorageNamespace.js"
export type {
  AnyCrudNamespace,
  ChangedEvent,
  CrudModel,
  CrudNamespace,
  CrudOptions,
  ListRequest,
  OperationSchemas
} from "./storage/StorageNamespace.js"
export type { FieldFilter, FilterOperator, ListModel, ListQuery, OrderBy, Where } from "./storage/ListQuery.js"
export * from "./storage/StorageError.js"
export * as MemoryStorage from "./storage/MemoryStorage.js"
export { layer as MemoryStorageLayer } from "./storage/MemoryStorage.js"
export * from "./contracts/session.js"
