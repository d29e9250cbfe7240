import { registerAdapter } from "@qicore/core/adapter";
import { timescaleTarget } from "./target";

export {
  connectionString,
  intervalText,
  SQL_IDENTIFIER,
  sqlIdentifier,
  type TimescaleConfig,
  type TimescaleConfigInput,
  timescaleConfigSchema,
  toPostgresInterval,
} from "./config";
export { createTimescaleReader } from "./create-reader";
export type { Database, DatabaseEngine, QueryResult, SqlSession } from "./database";
export { describeEdition, type Edition, type EditionName, type TimescaleMode } from "./edition";
export { classifyFailure, type FailureKind } from "./errors";
export {
  CANDLE_VIEWS,
  candleViewName,
  type MigrationReport,
  SCHEMA_VERSION_TABLE,
  type SkippedFeature,
  STATE_TABLE,
} from "./migrations";
export { closeEmbeddedDatabases, type PGliteLike } from "./pglite-database";
export { timeframeInterval, trimDecimal } from "./reader";
export { createTimescaleTarget, parseTimescaleConfig, type TimescaleTarget, timescaleTarget } from "./target";
export type * from "./types";
export type { WriteReport } from "./writer";

// Importing the package makes `type: timescale` available to pipeline files.
registerAdapter(timescaleTarget);
