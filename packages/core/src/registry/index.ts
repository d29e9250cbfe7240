export * from "./registry";
export { adapterShapeProblems, checkAdapter, isAdapterDefinition } from "./shape";
