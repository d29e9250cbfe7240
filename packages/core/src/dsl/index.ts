export { DEFAULT_ASSET_CLASS, DEFAULT_QUOTE } from "./instrument";
export * from "./kinds";
export { type ColumnMeta, code, decimal, identifier, utcTimestamp } from "./primitives";
export * from "./records";
export * from "./validate";
