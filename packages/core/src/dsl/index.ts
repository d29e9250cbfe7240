export * from "./kinds";
export { type ColumnMeta, decimal, identifier, utcTimestamp } from "./primitives";
export * from "./records";
export * from "./validate";
