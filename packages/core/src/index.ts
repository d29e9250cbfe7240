export * from "./adapters/index";
export * from "./dsl/index";
export { type ColumnModel, snakeCase, type TableModel, tableModel } from "./dsl/table-model";
export * from "./errors/index";
export * from "./registry/index";
export * from "./result/index";
export * from "./runtime/logger";
export { CORE_VERSION } from "./version";
