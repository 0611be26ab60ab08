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
export { Database, DatabaseError, DatabaseOpenError } from "./storage/Database.js"
export type { DatabaseService, SqliteOptions } from "./storage/Database.js"
export * as DrizzleStorage from "./storage/DrizzleStorage.js"
export { createDrizzleCrudHandlers, createDrizzleListHandler } from "./storage/DrizzleStorage.js"
export type { DrizzleOptions } from "./storage/DrizzleStorage.js"
export { layer as SqliteStorageLayer } from "./storage/SqliteStorage.js"
export { int64, sessions } from "./storage/tables.js"
export * as PromiseBus from "./bus/PromiseBus.js"
export type { PromiseHandlerContext } from "./bus/PromiseBus.js"
export * as Extension from "./kernel/Extension.js"
export { ExtensionContext } from "./kernel/Extension.js"
export type { ExtensionContextService, ExtensionDefinition, MakaioExtension, RegisterHandlers } from "./kernel/Extension.js"
export { Kernel } from "./kernel/Kernel.js"
export type { BootError, BootReport, KernelOptions, KernelService } from "./kernel/Kernel.js"
export * from "./kernel/KernelError.js"
export { MigrationError } from "./kernel/MigrationError.js"
export * as Migrator from "./kernel/Migrator.js"
export { core as coreExtension } from "./kernel/core.js"
export * as StorageCache from "./cache/StorageCache.js"
export type { CacheStats, StorageCacheOptions } from "./cache/StorageCache.js"
