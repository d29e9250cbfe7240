export { Pipeline, type PipelineOptions, type PipelineState, type RunSummary, type PipelineHealth } from "./pipeline";
export { Source, type SourceOptions } from "./source";
export { Target, type TargetOptions, type PublishReport } from "./target";
export { PipelineMetrics, type MetricsSnapshot } from "./metrics";
export { serveMetrics, type MetricsServer } from "./http-server";
export { FileStateStore, MemoryStateStore } from "./state-store";
export { FileDeadLetterSink, TargetDeadLetterSink, type DeadLetterSink } from "./dead-letters";
export { withRetry, backoffDelay, DEFAULT_RETRY, type RetryPolicy } from "./retry";
export * from "./logger";
