/**
 * `@qicore/target-timescale/drizzle`: drizzle-orm tables for QiCore's schema. A separate
 * entry point, so the main one neither loads drizzle nor exposes its types.
 */
export { drizzleTables } from "./drizzle-schema";
