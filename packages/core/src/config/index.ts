export { type PipelineJsonSchema, pipelineJsonSchema } from "./json-schema";
export { loadPipelineConfig, loadPipelineFile } from "./load";
export { configProblemsOf, formatConfigProblems } from "./problems";
export { redactedConfig } from "./redact";
export { durationSchema, PIPELINE_DEFAULTS, type PipelineFileInput, pipelineFileSchema } from "./schema";
export type {
  ConfigError,
  ConfigProblem,
  DeadLetterDestination,
  DeliveryPolicy,
  HealthConfig,
  LoadPipelineConfigOptions,
  LoadPipelineOptions,
  ResolvedPipeline,
  ResolvedRoute,
  ResolvedSource,
  ResolvedTarget,
  StateConfig,
} from "./types";
