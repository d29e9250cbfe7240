/**
 * `@qicore/core`: pipelines for users and embedders. Every name is listed here on purpose
 * (a test snapshots the list, so any change is a visible diff in review). Adapter authors
 * need only `@qicore/core/adapter`, which this entry includes; the conformance suite and
 * test doubles are in `@qicore/core/testing`.
 */

// The adapter contract, the records and their generators, errors and results.
export * from "./adapter";
// The adapters every registry knows, and the registry itself.
export { BUILTIN_ADAPTERS, fileTarget, memoryStore, memoryTarget, syntheticSource } from "./builtin/index";
// Observability: Prometheus metrics and health over HTTP, logs, and the progress line and
// summary `qicore run` prints, for embedders that want the same on their terminal.
export { formatSummary, showProgress } from "./cli/progress";
// Pipelines: load a file (or an object), run it, watch it.
export { type PipelineJsonSchema, pipelineJsonSchema } from "./config/json-schema";
export { loadPipelineConfig, loadPipelineFile } from "./config/load";
export { configProblemsOf, formatConfigProblems } from "./config/problems";
export { redactedConfig } from "./config/redact";
export { PIPELINE_DEFAULTS, type PipelineFileInput } from "./config/schema";
export type {
  ConfigError,
  ConfigProblem,
  DeadLetterDestination,
  DeliveryPolicy,
  HealthConfig,
  LoadPipelineConfigOptions,
  LoadPipelineOptions,
  ResolvedPipeline,
  ResolvedProcessor,
  ResolvedRoute,
  ResolvedSource,
  ResolvedTarget,
  StateConfig,
} from "./config/types";
// Generated from the records: JSON Schemas, SQL DDL, topic configs, TypeScript declarations.
export {
  allRecordJsonSchemas,
  type JsonSchema,
  type RecordJsonSchemaEntry,
  type RecordJsonSchemaOptions,
} from "./dsl/generate/json-schema";
export { recordsMarkdown } from "./dsl/generate/markdown";
export {
  DEFAULT_CHUNK_INTERVALS,
  DEFAULT_COMPRESS_AFTER,
  generateSchemaSql,
  generateTableSql,
  type SchemaSqlOptions,
  SQL_EDITIONS,
} from "./dsl/generate/sql";
export { type TopicConfigOptions, topicsYaml } from "./dsl/generate/topics";
export { generateTypeDeclarations } from "./dsl/generate/typescript";
export { REDACTED } from "./errors/redact";
export {
  type AdapterRole,
  type AdapterSummary,
  defaultRegistry,
  type InstalledAdapters,
  type ResolveOptions,
} from "./registry/registry";
// The series readiness and the data-age metric follow: `bitcoin`, `binance:BTCUSDT`.
export { seriesOf } from "./runtime/freshness";
export { type MetricsServer, serveMetrics } from "./runtime/http-server";
// Requests a web page could make a browser send to a server on loopback (DNS rebinding).
export { foreignRequestReason, isLoopbackHost } from "./runtime/local-requests";
export { type ConsoleLoggerOptions, createConsoleLogger } from "./runtime/logger";
export { type MetricsSnapshot, PipelineMetrics } from "./runtime/metrics";
export type { Outage } from "./runtime/outages";
export {
  Pipeline,
  type PipelineHealth,
  type PipelineOptions,
  type PipelineState,
  type RunSummary,
  type StopOptions,
} from "./runtime/pipeline";
export type { RetryPolicy } from "./runtime/retry";
export { DEFAULT_RETRY } from "./runtime/retry";
// A pipeline's sources and targets as embedders use them: every method returns a Result,
// with the pipeline's validation and retries.
export { Source, type SourceOptions } from "./runtime/source";
// Where checkpoints are kept.
export { FileStateStore, MemoryStateStore } from "./runtime/state-store";
// What GET /status serves (qicore top, the dashboard), and taps: copies of the records at a stage.
export {
  ADAPTER_HEALTH_INTERVAL_MS,
  type AdapterStatus,
  type PipelineStatus,
  pipelineStatus,
  type SeriesFreshness,
} from "./runtime/status";
export {
  openTap,
  type Tap,
  type TapFilter,
  type TapOptions,
  type TappedRecord,
  type TapStage,
} from "./runtime/tap";
export { type PublishReport, Target, type TargetOptions } from "./runtime/target";
