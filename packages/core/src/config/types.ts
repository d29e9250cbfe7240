import type { ProcessorDefinition, SourceDefinition, TargetDefinition } from "../adapters/types";
import type { RecordKind } from "../dsl/kinds";
import type { QiError } from "../errors/qi-error";
import type { AdapterRegistry } from "../registry/registry";
import type { LogLevel } from "../runtime/logger";

/**
 * One thing wrong with a pipeline config: the field it concerns and, when the
 * config came from text, where that field sits in the file.
 */
export interface ConfigProblem {
  /** Field path such as `sources[0].config.count`; empty for the file as a whole. */
  path: string;
  message: string;
  /** The file as the caller named it (absent for configs passed as objects or text without a name). */
  file?: string;
  /** 1-based line of the field (or of its nearest existing parent when the field is missing). */
  line?: number;
  /** 1-based column. */
  column?: number;
}

/**
 * What the loaders return on failure: a QiError with code CONFIG_INVALID (or
 * CONFIG_NOT_FOUND for a missing file), category VALIDATION, and every problem found.
 */
export interface ConfigError extends QiError {
  readonly context: { problems: ConfigProblem[]; file?: string } & Record<string, unknown>;
}

/** Options shared by loadPipelineFile and loadPipelineConfig. */
export interface LoadPipelineOptions {
  /** Where adapter `type`s are looked up; defaultRegistry() when absent. */
  registry?: AdapterRegistry;
  /** Values for `${VAR}` and `${VAR:-default}`; process.env when absent. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface LoadPipelineConfigOptions extends LoadPipelineOptions {
  /** Folder that relative paths (adapter files, state and dead-letter files) are resolved against; the file's folder, else the working directory. */
  baseDir?: string;
  /** Name of the file the text came from, for problem positions and to tell JSON from YAML by extension. */
  file?: string;
}

/** A source of a resolved pipeline: its adapter and its config as the adapter's schema parsed it. */
export interface ResolvedSource {
  id: string;
  /** The `type` as written in the file (a registered name, a path or a package name). */
  type: string;
  definition: SourceDefinition;
  config: unknown;
  /** Present when the source is polled: its `read()` runs again every `everyMs` once it ends. */
  schedule?: { everyMs: number };
  /** Kinds this source emits in this pipeline (the file's `kinds`, else everything its adapter reads), after its processors. */
  kinds: RecordKind[];
  /** Processing steps applied to everything the source emits, in order. */
  processors?: ResolvedProcessor[];
}

/** A processing step: its adapter and its config as the adapter's schema parsed it. */
export interface ResolvedProcessor {
  /** Its id in metrics and logs: the file's `id`, else its type (with a position when repeated). */
  id: string;
  type: string;
  definition: ProcessorDefinition;
  config: unknown;
}

export interface ResolvedTarget {
  id: string;
  type: string;
  definition: TargetDefinition;
  config: unknown;
}

/**
 * Records of `kinds` flow from source `from`, through the route's processors (if any), to every
 * target in `to`, which get the kinds `emits` (the same as `kinds` without processors).
 */
export interface ResolvedRoute {
  from: string;
  to: string[];
  kinds: RecordKind[];
  processors?: ResolvedProcessor[];
  emits: RecordKind[];
}

/** Where records go that could not be delivered: a target of the pipeline or a JSON-lines file. */
export type DeadLetterDestination = { target: string } | { path: string };

export interface DeliveryPolicy {
  /**
   * A target gets a batch when it holds maxRecords records of one kind, when it has a write
   * slot free (unless `sendWhenIdle` is false), or maxWaitMs after the first.
   */
  batch: { maxRecords: number; maxWaitMs: number; sendWhenIdle?: boolean };
  /**
   * The one retry loop of the pipeline: exponential backoff with full jitter, for retryable
   * failures only, until they pass unless `maxAttempts` or `maxElapsedMs` bound it (then the
   * run fails; valid records are never dead-lettered for an outage).
   */
  retry: { maxAttempts?: number; initialDelayMs: number; maxDelayMs: number; maxElapsedMs?: number };
  /** A target id, or an absolute file path. */
  deadLetter: DeadLetterDestination;
  /** Records read but not yet written by every routed target; sources pause at this bound. */
  maxInFlightRecords: number;
}

/** Where source checkpoints are kept: a local file (absolute path) or a target's own storage. */
/**
 * Where checkpoints are kept: `auto` (the default) in the first target that can hold them
 * (a database target keeps them in a table beside the data), else in the file `path`.
 */
export type StateConfig =
  | { store: "auto"; path: string }
  | { store: "file"; path: string }
  | { store: "target"; target: string };

export interface HealthConfig {
  /** Not ready while the newest data of a coin is older than maxAgeMs (all coins seen, or those listed). */
  freshness?: { maxAgeMs: number; coins?: string[] };
}

/**
 * A pipeline config checked from end to end: every adapter resolved, every config
 * parsed by its adapter's schema, defaults applied, default routes filled in and
 * relative paths made absolute. What the runtime runs.
 */
export interface ResolvedPipeline {
  name: string;
  /** Absolute path of the pipeline file, when loaded from one. */
  file?: string;
  /** Folder relative paths were resolved against. */
  baseDir: string;
  sources: ResolvedSource[];
  targets: ResolvedTarget[];
  routes: ResolvedRoute[];
  delivery: DeliveryPolicy;
  state: StateConfig;
  health: HealthConfig;
  /** Where `qicore run` serves Prometheus metrics; absent when the file has no `metrics` section. */
  metrics?: { host: string; port: number };
  logging: { level: LogLevel; format: "pretty" | "json" };
  /**
   * The config as written, after `${VAR}` interpolation. It may hold secrets: display
   * it only through redactedConfig().
   */
  raw: unknown;
}
