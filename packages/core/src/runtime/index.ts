export { type DeadLetterSink, FileDeadLetterSink, TargetDeadLetterSink } from "./dead-letters";
export { type MetricsServer, serveMetrics } from "./http-server";
export * from "./logger";
export { type MetricsSnapshot, PipelineMetrics } from "./metrics";
export {
  Pipeline,
  type PipelineHealth,
  type PipelineOptions,
  type PipelineState,
  type RunSummary,
} from "./pipeline";
export { abortableSleep, backoffDelay, DEFAULT_RETRY, type RetryPolicy, withRetry } from "./retry";
export { Source, type SourceOptions } from "./source";
export { FileStateStore, MemoryStateStore } from "./state-store";
export { type PublishReport, Target, type TargetOptions } from "./target";
