import type { z } from "zod";
import type { MarketRecord, RecordKind } from "../dsl/kinds";
import type { CryptoMarketAnalyticsInput, CryptoOHLCVInput, CryptoPriceInput } from "../dsl/records";
import type { QiError } from "../errors/qi-error";
import type { Logger } from "../runtime/logger";
import type { ProcessorHandlers } from "./processor-types";
import type { ReaderContext, StoreReader } from "./reader-types";

/**
 * Version of the adapter contract described in this file. An adapter states the
 * version it implements; the registry refuses one built for another version.
 */
export const ADAPTER_CONTRACT_VERSION = 1;

/** What an adapter can do. The runtime and the conformance suite rely on it. */
export interface AdapterCapabilities {
  /** Record kinds the adapter reads (source), writes (target) or takes (processor). */
  kinds: readonly RecordKind[];
  /** Processor: the kinds it hands on from what it takes (candles from trades: `["ohlcv"]`). */
  emits?: readonly RecordKind[];
  /** Source: can resume from a checkpoint it was handed (replay after a crash). */
  replay?: boolean;
  /** Source: wants `commit(checkpoint)` once every routed target has written a batch. */
  ack?: boolean;
  /** Source: ends by itself (a fixed count, a `once` mode). */
  bounded?: boolean;
  /** Source: emits records already normalised by the core's schemas, so the runtime need not re-validate. */
  trusted?: boolean;
  /**
   * Source: each record a batch carries is a new plain object that the source keeps no
   * reference to and never changes after yielding it (a record built per frame or message).
   * The runtime then validates records in place: one already in canonical form is passed on
   * as it is, not copied. Validation itself still runs.
   */
  freshRecords?: boolean;
  /** Target: writes are idempotent upserts, so a replay makes no duplicates. */
  idempotent?: boolean;
  /** Target: can store dead letters (`writeDeadLetters`). */
  deadLetter?: boolean;
}

/** Everything the core hands an adapter when it creates one. */
export interface AdapterContext {
  /** The id of this adapter instance in the pipeline (`db`, `gen`). */
  id: string;
  pipelineName: string;
  logger: Logger;
  /** Folder of the pipeline file (or the working directory), for relative paths in config. */
  baseDir: string;
  /** Aborted when the pipeline stops. */
  signal: AbortSignal;
}

/** Connection state and latency, as `healthCheck` reports it. */
export interface HealthStatus {
  status: "healthy" | "degraded" | "unhealthy";
  latencyMs?: number;
  message?: string;
  details?: Record<string, unknown>;
}

/** A JSON value a source uses to resume: an offset map, a page cursor, a record index. */
export type Checkpoint = unknown;

/** A batch of records of one kind, with the checkpoint reached after it. */
export interface SourceBatch {
  kind: RecordKind;
  /** Record inputs; the core validates them unless the source is `trusted`. */
  records: readonly unknown[];
  /** Position after this batch; committed once every routed target has written the batch. */
  checkpoint?: Checkpoint;
  /** Where the batch came from, for dead letters (topic/partition/offset, URL...). */
  origin?: Record<string, unknown>;
}

export interface ReadOptions {
  /**
   * Where to continue: at the start of a run, the last checkpoint committed for this source
   * (if any); when the runtime calls `read` again in the same run (a scheduled poll, or after
   * a retryable failure), the checkpoint of the last batch it took from this source, which it
   * commits in order once the targets have it.
   */
  checkpoint?: Checkpoint;
  signal: AbortSignal;
}

export interface TimeRange {
  start: Date;
  end: Date;
}

export interface OHLCVQuery {
  timeframe: string;
  /** Newest candles are returned when only `limit` is given. */
  limit?: number;
  start?: Date;
  end?: Date;
}

/**
 * The technology-specific part of a source. Every handler is optional; the core
 * wraps those present with validation, error mapping, retries and metrics.
 */
export interface SourceHandlers {
  connect?(): Promise<void>;
  disconnect?(): Promise<void>;
  healthCheck?(): Promise<HealthStatus>;
  /** Streaming read for pipelines: yields batches until the source is exhausted or the signal aborts. */
  read?(options: ReadOptions): AsyncIterable<SourceBatch>;
  /** Acknowledge everything up to and including the batch that carried this checkpoint. */
  commit?(checkpoint: Checkpoint): Promise<void>;

  getCurrentPrices?(coinIds: readonly string[]): Promise<readonly CryptoPriceInput[]>;
  getOHLCV?(coinId: string, query: OHLCVQuery): Promise<readonly CryptoOHLCVInput[]>;
  getPriceHistory?(coinId: string, range: TimeRange): Promise<readonly CryptoPriceInput[]>;
  getMarketAnalytics?(): Promise<CryptoMarketAnalyticsInput>;
}

/** A record a target could not write, by its index in the batch it was given. */
export interface RecordFailure {
  index: number;
  error: QiError;
}

/** What a target's `write` reports: nothing when all records were written. */
export interface WriteOutcome {
  failures?: readonly RecordFailure[];
}

/** A record that could not be delivered, with why and where from. */
export interface DeadLetter {
  kind: RecordKind | "unknown";
  /** The record, or the raw input when it did not validate. */
  record: unknown;
  reason: { code: string; message: string; category: string };
  sourceId: string;
  /** The target that refused it; absent for records that failed validation. */
  targetId?: string;
  origin?: Record<string, unknown>;
  failedAt: string;
  attempts: number;
}

/**
 * The technology-specific part of a target. `write` gets validated records of one
 * kind. Throw (or reject) for a failure of the whole batch; report per-record
 * failures in the outcome so the runtime dead-letters just those.
 */
export interface TargetHandlers {
  connect?(): Promise<void>;
  disconnect?(): Promise<void>;
  healthCheck?(): Promise<HealthStatus>;
  // biome-ignore lint/suspicious/noConfusingVoidType: a handler that wrote everything returns nothing.
  write(kind: RecordKind, records: readonly MarketRecord[]): Promise<WriteOutcome | void>;
  /** Flush anything buffered; called before stop and at the end of a bounded run. */
  flush?(): Promise<void>;
  /**
   * How many `write` calls the target takes at once (1 when absent, at most 16). Writes in
   * flight together never share a primary key (the runtime waits instead) and a batch's
   * checkpoint waits for all of them, so the adapter needs no ordering of its own.
   */
  writeConcurrency?: number;
  writeDeadLetters?(letters: readonly DeadLetter[]): Promise<void>;
  /** Offers this target's storage for source checkpoints (`state: { store: target, target: <id> }`). */
  stateStore?(): StateStore | Promise<StateStore>;
  /**
   * Reads what this target stored over its own connection, for callers in the process that
   * runs it (`qicore mcp --run`). Present when the definition has `openReader`; the target
   * owns it, so callers never close it.
   */
  reader?: StoreReader;
}

/**
 * Where source checkpoints are kept between runs. The runtime saves a checkpoint
 * only after every target routed from the source has written the batch it ends.
 */
export interface StateStore {
  load(pipelineName: string, sourceId: string): Promise<Checkpoint | undefined>;
  save(pipelineName: string, sourceId: string, checkpoint: Checkpoint): Promise<void>;
  close?(): Promise<void>;
}

interface AdapterDefinitionBase<Config> {
  /** The `type` a pipeline file uses, e.g. `timescale`. Lowercase, dashes allowed. */
  name: string;
  description?: string;
  /** The adapter contract version implemented (ADAPTER_CONTRACT_VERSION). */
  contractVersion: number;
  /**
   * Semver range of @qicore/core the adapter was built for, e.g. `^0.1.0`. While the core is
   * 0.x, later 0.x minors are accepted too: the contract version is what guards breaking changes.
   */
  coreVersion: string;
  /** Validates the `config` block of a pipeline file; its JSON Schema completes pipeline files in editors. */
  configSchema: z.ZodType<Config>;
  capabilities: AdapterCapabilities;
}

export interface SourceDefinition<Config = unknown> extends AdapterDefinitionBase<Config> {
  role: "source";
  create(config: Config, context: AdapterContext): SourceHandlers | Promise<SourceHandlers>;
}

export interface TargetDefinition<Config = unknown> extends AdapterDefinitionBase<Config> {
  role: "target";
  create(config: Config, context: AdapterContext): TargetHandlers | Promise<TargetHandlers>;
  /**
   * The reader capability: a target whose store can be queried opens a reader of it from
   * the same config, without creating the target (no migrations, no writes, nothing
   * connected until the first query). The MCP server's query tools read every store this
   * way. `close()` releases what the reader opened.
   */
  openReader?(config: Config, context: ReaderContext): StoreReader | Promise<StoreReader>;
}

/**
 * A processing step between a source and its targets: takes records of `capabilities.kinds`,
 * hands on records of `capabilities.emits`; records of other kinds pass it untouched.
 */
export interface ProcessorDefinition<Config = unknown> extends AdapterDefinitionBase<Config> {
  role: "processor";
  create(config: Config, context: AdapterContext): ProcessorHandlers | Promise<ProcessorHandlers>;
}

// biome-ignore lint/suspicious/noExplicitAny: definitions of any config type share one registry.
export type AdapterDefinition = SourceDefinition<any> | TargetDefinition<any> | ProcessorDefinition<any>;
