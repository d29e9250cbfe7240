export * from "./define";
export * from "./types";
