import { resolve as resolvePath } from "node:path";
import type { AdapterContext, Checkpoint, HealthStatus, SourceBatch, StateStore } from "../adapters/types";
import { loadPipelineConfig, loadPipelineFile } from "../config/index";
import type { ResolvedPipeline } from "../config/types";
import type { MarketRecord, RecordKind } from "../dsl/kinds";
import { validateRecords } from "../dsl/validate";
import { QiError, toQiError } from "../errors/qi-error";
import { type AdapterRegistry, defaultRegistry } from "../registry/registry";
import { err, ok, type Result } from "../result/result";
import { AckTracker, type BatchTicket } from "./ack-tracker";
import {
  type DeadLetterSink,
  deadLetterFailure,
  deadLetterFor,
  FileDeadLetterSink,
  TargetDeadLetterSink,
} from "./dead-letters";
import { createConsoleLogger, type Logger } from "./logger";
import { type MetricsSnapshot, PipelineMetrics } from "./metrics";
import { OutageTracker } from "./outages";
import { RecordGate } from "./record-gate";
import { abortableSleep, backoffDelay, retriesExhausted } from "./retry";
import { Source } from "./source";
import { FileStateStore } from "./state-store";
import { Target } from "./target";
import { TargetWorker } from "./target-worker";

export interface PipelineOptions {
  /** Where adapter `type`s are looked up; the default registry when absent. */
  registry?: AdapterRegistry;
  /** Values for `${VAR}` in the pipeline file; process.env when absent. */
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /** Overrides the state store the config names (embedding, tests). */
  stateStore?: StateStore;
}

export type PipelineState = "created" | "initialized" | "running" | "stopping" | "stopped" | "failed";

export interface RunSummary {
  pipeline: string;
  state: PipelineState;
  durationMs: number;
  recordsIn: number;
  recordsOut: Record<string, number>;
  recordsFailed: Record<string, number>;
  deadLetters: number;
  /** Where dead letters went (`file .qicore/dead-letters.jsonl`, `target "dlq" (file)`). */
  deadLetterDestination: string;
  /** Where the sources' checkpoints are kept (`target "db"`, a file path). */
  checkpoints: string;
  error?: QiError;
}

export interface StopOptions {
  /** Give up in-flight writes (and their retries) after this long; by default a stop waits for them. */
  timeoutMs?: number;
}

export interface PipelineHealth {
  live: boolean;
  ready: boolean;
  state: PipelineState;
  reasons: string[];
}

interface SourceRuntime {
  source: Source;
  tracker: AckTracker;
  routes: Map<RecordKind, TargetWorker[]>;
  trusted: boolean;
  everyMs: number | undefined;
}

/**
 * A running pipeline: sources feeding targets through a bounded queue, with
 * at-least-once delivery (a source batch is acknowledged only after every target it
 * is routed to has written it or dead-lettered its refused records).
 *
 *     const pipeline = unwrap(await Pipeline.load("pipeline.yaml"));
 *     await pipeline.initialize();
 *     const summary = await pipeline.run();   // ends when bounded sources are exhausted
 */
export class Pipeline {
  readonly metrics: PipelineMetrics;
  readonly logger: Logger;
  /** Outages being waited out now (readiness lists them). */
  readonly outages: OutageTracker;
  private state: PipelineState = "created";
  private readonly abort = new AbortController();
  /** Aborted when a stop will not wait for the targets any longer (see stop's timeoutMs). */
  private readonly writesAbort = new AbortController();
  private readonly sources = new Map<string, Source>();
  private readonly targets = new Map<string, Target>();
  private readonly workers = new Map<string, TargetWorker>();
  private readonly runtimes: SourceRuntime[] = [];
  private gate: RecordGate;
  private deadLetters: DeadLetterSink | undefined;
  private stateStore: StateStore | undefined;
  private stateLocation = "";
  private startedAt = 0;
  private finished: Promise<RunSummary> | undefined;
  private fatal: QiError | undefined;
  private stopRequested: Promise<RunSummary> | undefined;
  private resolveFatal: ((error: QiError) => void) | undefined;
  private fatalSignal: Promise<QiError> = new Promise(() => {});

  private constructor(
    readonly config: ResolvedPipeline,
    private readonly options: PipelineOptions,
  ) {
    this.logger =
      options.logger ??
      createConsoleLogger({ level: config.logging.level, format: config.logging.format }).child({
        pipeline: config.name,
      });
    this.metrics = new PipelineMetrics(config.name);
    this.outages = new OutageTracker(this.metrics, this.logger);
    this.gate = new RecordGate(config.delivery.maxInFlightRecords, (size) =>
      this.metrics.setQueueDepth(size),
    );
  }

  /** Loads a pipeline file (YAML or JSON), resolving and validating its adapters. */
  static async load(path: string, options: PipelineOptions = {}): Promise<Result<Pipeline, QiError>> {
    const loaded = await loadPipelineFile(path, pick(options));
    return loaded.ok ? ok(new Pipeline(loaded.value, options)) : loaded;
  }

  /** Builds a pipeline from an object of the pipeline file's shape (or YAML text). */
  static async fromConfig(
    config: unknown,
    options: PipelineOptions & { baseDir?: string } = {},
  ): Promise<Result<Pipeline, QiError>> {
    const loaded = await loadPipelineConfig(config as Parameters<typeof loadPipelineConfig>[0], {
      ...pick(options),
      ...(options.baseDir ? { baseDir: options.baseDir } : {}),
    });
    return loaded.ok ? ok(new Pipeline(loaded.value, options)) : loaded;
  }

  /** Wraps an already resolved config (what the loaders return). */
  static fromResolved(config: ResolvedPipeline, options: PipelineOptions = {}): Pipeline {
    return new Pipeline(config, options);
  }

  get name(): string {
    return this.config.name;
  }

  get status(): PipelineState {
    return this.state;
  }

  /** A source by id, for its DSL methods (getCurrentPrices ...). Available after initialize(). */
  source(id: string): Source | undefined {
    return this.sources.get(id);
  }

  /** A target by id, for its DSL methods (publishPrices ...). Available after initialize(). */
  target(id: string): Target | undefined {
    return this.targets.get(id);
  }

  /** Creates every adapter and connects it (targets first, so nothing is read that cannot be written). */
  async initialize(): Promise<Result<void, QiError>> {
    if (this.state !== "created") return ok(undefined);
    const { delivery } = this.config;
    const contextFor = (id: string): AdapterContext => ({
      id,
      pipelineName: this.config.name,
      logger: this.logger.child({ adapter: id }),
      baseDir: this.config.baseDir,
      signal: this.abort.signal,
    });
    for (const spec of this.config.targets) {
      const created = await Target.create(spec.definition, spec.config, contextFor(spec.id), {
        retry: delivery.retry,
        outages: this.outages,
        onWrite: (event) => this.metrics.observeBatch(spec.id, event.seconds),
      });
      if (!created.ok) return this.failInit(created.error);
      this.targets.set(spec.id, created.value);
    }
    for (const spec of this.config.sources) {
      const created = await Source.create(spec.definition, spec.config, contextFor(spec.id), {
        retry: delivery.retry,
        outages: this.outages,
      });
      if (!created.ok) return this.failInit(created.error);
      this.sources.set(spec.id, created.value);
    }
    for (const target of this.targets.values()) {
      const connected = await target.connect();
      if (!connected.ok) return this.failInit(connected.error);
    }
    for (const source of this.sources.values()) {
      const connected = await source.connect();
      if (!connected.ok) return this.failInit(connected.error);
    }
    const sinks = await this.setUpDeliveryState();
    if (!sinks.ok) return this.failInit(sinks.error);
    this.buildRoutes();
    this.state = "initialized";
    return ok(undefined);
  }

  /** Starts reading. Resolves at once; `done` resolves when the run ends. */
  async start(): Promise<Result<void, QiError>> {
    if (this.state === "created") {
      const initialized = await this.initialize();
      if (!initialized.ok) return initialized;
    }
    if (this.state !== "initialized") return ok(undefined);
    this.state = "running";
    this.startedAt = Date.now();
    this.fatalSignal = new Promise<QiError>((resolve) => {
      this.resolveFatal = resolve;
    });
    const sourceLoops = Promise.all(this.runtimes.map((runtime) => this.runSource(runtime)));
    this.finished = Promise.race([sourceLoops.then(() => undefined), this.fatalSignal]).then((error) =>
      this.finish(error),
    );
    return ok(undefined);
  }

  /** Starts (if needed) and resolves when every bounded source is exhausted and every target has flushed. */
  async run(): Promise<RunSummary> {
    const started = await this.start();
    if (!started.ok) return this.summary(started.error);
    return this.done;
  }

  /** Resolves with the summary when the run ends (sources exhausted, stop() or a fatal error). */
  get done(): Promise<RunSummary> {
    return this.finished ?? Promise.resolve(this.summary());
  }

  /**
   * Stops reading, writes and acknowledges everything already read, then resolves. During an
   * outage the writes are retried until they pass; with `timeoutMs`, a stop that has waited
   * that long gives them up instead: what was not written is not acknowledged either, so it
   * is read again by the next run.
   */
  stop(options: StopOptions = {}): Promise<RunSummary> {
    if (options.timeoutMs !== undefined) {
      const timer = setTimeout(() => this.writesAbort.abort(), options.timeoutMs);
      timer.unref?.();
      void this.done.finally(() => clearTimeout(timer));
    }
    if (this.stopRequested) return this.stopRequested;
    if (this.state === "running") this.state = "stopping";
    this.abort.abort();
    this.stopRequested = this.done;
    return this.stopRequested;
  }

  /** Stops (see stop), then disconnects every adapter. */
  async destroy(options: StopOptions = {}): Promise<RunSummary> {
    const summary = await this.stop(options);
    for (const source of this.sources.values()) await source.disconnect();
    for (const target of this.targets.values()) await target.disconnect();
    await this.stateStore?.close?.();
    return summary;
  }

  /** Liveness and readiness: ready once every adapter is connected and the data is fresh enough. */
  health(now = Date.now()): PipelineHealth {
    const reasons: string[] = [];
    const live = this.state !== "failed";
    if (this.state !== "running" && this.state !== "initialized") reasons.push(`pipeline is ${this.state}`);
    for (const adapter of [...this.sources.values(), ...this.targets.values()]) {
      if (!adapter.isConnected) reasons.push(`"${adapter.id}" is not connected`);
    }
    for (const outage of this.outages.current()) {
      reasons.push(
        `"${outage.adapter}" ${outage.operation} is failing for ${Math.round((now - outage.since) / 1000)} s (${outage.attempts} attempts), retrying: ${outage.reason}`,
      );
    }
    const freshness = this.config.health.freshness;
    if (freshness) {
      const newest = this.metrics.newestTimes();
      const coins = freshness.coins ?? [...newest.keys()];
      for (const coin of coins) {
        const time = newest.get(coin);
        if (time === undefined) reasons.push(`no data yet for ${coin}`);
        else if (now - Date.parse(time) > freshness.maxAgeMs) {
          reasons.push(
            `${coin} data is ${Math.round((now - Date.parse(time)) / 1000)}s old (max ${freshness.maxAgeMs / 1000}s)`,
          );
        }
      }
    }
    return { live, ready: live && reasons.length === 0, state: this.state, reasons };
  }

  /** Health of each adapter as its own healthCheck reports it. */
  async adapterHealth(): Promise<Record<string, HealthStatus>> {
    const entries = await Promise.all(
      [...this.sources.values(), ...this.targets.values()].map(
        async (adapter) => [adapter.id, await adapter.healthCheck()] as const,
      ),
    );
    return Object.fromEntries(entries);
  }

  metricsSnapshot(): MetricsSnapshot {
    return this.metrics.snapshot();
  }

  // ---------------------------------------------------------------------------

  private async setUpDeliveryState(): Promise<Result<void, QiError>> {
    const { deadLetter } = this.config.delivery;
    if ("target" in deadLetter) {
      const target = this.targets.get(deadLetter.target);
      if (!target)
        return err(configBug(`dead-letter target "${deadLetter.target}" is not a target of this pipeline`));
      this.deadLetters = new TargetDeadLetterSink(target);
    } else {
      this.deadLetters = new FileDeadLetterSink(resolvePath(this.config.baseDir, deadLetter.path));
    }
    const state = this.config.state;
    if (this.options.stateStore) {
      this.stateStore = this.options.stateStore;
      this.stateLocation = "the state store given in code";
    } else if (state.store === "target") {
      const target = this.targets.get(state.target);
      if (!target) return err(configBug(`state target "${state.target}" is not a target of this pipeline`));
      const store = await target.stateStore();
      if (!store.ok) return store;
      this.stateStore = store.value;
      this.stateLocation = `target "${target.id}"`;
    } else {
      // Checkpoints kept with the data: a database that is new or was emptied has no
      // checkpoint either, so its sources start over instead of skipping what it lost.
      const holder =
        state.store === "auto"
          ? [...this.targets.values()].find((target) => target.canStoreState)
          : undefined;
      const store = holder ? await holder.stateStore() : undefined;
      if (holder && store?.ok) {
        this.stateStore = store.value;
        this.stateLocation = `target "${holder.id}"`;
      } else {
        this.stateStore = new FileStateStore(state.path);
        this.stateLocation = state.path;
      }
    }
    this.logger.debug("checkpoints are kept in", { location: this.stateLocation });
    return ok(undefined);
  }

  private buildRoutes(): void {
    for (const target of this.targets.values()) {
      this.workers.set(
        target.id,
        new TargetWorker(
          target,
          this.config.delivery.batch,
          this.deadLetters as DeadLetterSink,
          this.metrics,
          (error) => this.failRun(error),
          this.writesAbort.signal,
        ),
      );
    }
    for (const spec of this.config.sources) {
      const source = this.sources.get(spec.id) as Source;
      const routes = new Map<RecordKind, TargetWorker[]>();
      for (const route of this.config.routes.filter((candidate) => candidate.from === spec.id)) {
        for (const kind of route.kinds) {
          const list = routes.get(kind) ?? [];
          for (const targetId of route.to) {
            const worker = this.workers.get(targetId);
            if (worker && !list.includes(worker)) list.push(worker);
          }
          routes.set(kind, list);
        }
      }
      const runtime: SourceRuntime = {
        source,
        routes,
        trusted: spec.definition.capabilities.trusted === true,
        everyMs: spec.schedule?.everyMs,
        tracker: new AckTracker(
          (checkpoint) => this.acknowledge(source, checkpoint),
          (ticket) => this.onBatchDone(ticket),
        ),
      };
      this.runtimes.push(runtime);
    }
  }

  /**
   * Reads one source until it is exhausted, the run stops or fails. A retryable failure of
   * `read` (a broker restart, a dropped connection) is waited out with the retry policy: `read`
   * is called again from the checkpoint of the last batch taken, and readiness says why
   * meanwhile. Only a failure that is not retryable, or one that outlasts the policy's bounds,
   * ends the run.
   */
  private async runSource(runtime: SourceRuntime): Promise<void> {
    const { source } = runtime;
    const signal = this.abort.signal;
    const policy = source.retryPolicy;
    const hooks = source.readRetryHooks;
    let failures = 0;
    let failingSince = 0;
    const recovered = () => {
      if (failures === 0) return;
      hooks.onRecovered?.(failures + 1, Date.now() - failingSince);
      failures = 0;
    };
    let checkpoint: Checkpoint | undefined;
    try {
      checkpoint = await this.stateStore?.load(this.config.name, source.id);
    } catch (thrown) {
      this.failRun(
        toQiError(thrown, {
          code: "STATE_STORE_FAILED",
          message: `loading the checkpoint of source "${source.id}" failed`,
          category: "SYSTEM",
        }),
      );
      return;
    }
    if (checkpoint !== undefined)
      this.logger.info("resuming from checkpoint", { source: source.id, checkpoint });
    for (;;) {
      try {
        for await (const batch of source.read({
          ...(checkpoint !== undefined ? { checkpoint } : {}),
          signal,
        })) {
          if (signal.aborted || this.fatal) return;
          recovered();
          await this.accept(runtime, batch);
          if (batch.checkpoint !== undefined) checkpoint = batch.checkpoint;
        }
        recovered();
        if (runtime.everyMs === undefined || signal.aborted || this.fatal) return;
        await abortableSleep(runtime.everyMs, signal);
        if (signal.aborted) return;
      } catch (thrown) {
        if (signal.aborted || this.fatal) return;
        const error = toQiError(thrown, {
          code: "READ_FAILED",
          message: `source "${source.id}" (${source.name}) failed`,
          category: "EXTERNAL",
        });
        if (!error.retryable) {
          this.failRun(error);
          return;
        }
        if (failures === 0) failingSince = Date.now();
        failures++;
        const elapsedMs = Date.now() - failingSince;
        if (
          failures >= (policy.maxAttempts ?? Number.POSITIVE_INFINITY) ||
          elapsedMs >= (policy.maxElapsedMs ?? Number.POSITIVE_INFINITY)
        ) {
          this.failRun(retriesExhausted(error, failures, elapsedMs, policy));
          return;
        }
        const delayMs = backoffDelay(policy, failures);
        hooks.onRetry?.(error, failures, delayMs);
        await abortableSleep(delayMs, signal);
        if (signal.aborted) return;
      }
    }
  }

  /** Takes one source batch into the pipeline: validate, dead-letter the invalid, route the rest. */
  private async accept(runtime: SourceRuntime, batch: SourceBatch): Promise<void> {
    const { source } = runtime;
    this.metrics.countIn(source.id, batch.records.length);
    let records = batch.records as readonly MarketRecord[];
    if (!runtime.trusted) {
      const { valid, invalid } = validateRecords(batch.kind, batch.records);
      if (invalid.length > 0) {
        this.metrics.countFailed(source.id, invalid.length);
        const letters = invalid.map(({ input, error }) =>
          deadLetterFor(batch.kind, input, error, {
            sourceId: source.id,
            ...(batch.origin ? { origin: batch.origin } : {}),
          }),
        );
        try {
          await this.deadLetters?.write(letters);
          this.metrics.countDeadLetters(letters.length);
        } catch (thrown) {
          this.failRun(deadLetterFailure(this.deadLetters, thrown));
          return;
        }
      }
      records = valid as MarketRecord[];
    }
    const workers = records.length > 0 ? (runtime.routes.get(batch.kind) ?? []) : [];
    if (workers.length > 0) {
      const waiting = this.gate.acquire(records.length);
      if (waiting) await waiting;
    }
    const ticket = runtime.tracker.track(batch.kind, records, batch.checkpoint, workers.length);
    if (workers.length > 0) ticket.heldRecords = records.length;
    for (const worker of workers) worker.enqueue(batch.kind, records, ticket, source.id, batch.origin);
  }

  private onBatchDone(ticket: BatchTicket): void {
    if (ticket.heldRecords > 0) this.gate.release(ticket.heldRecords);
    const records = ticket.records;
    if (ticket.kind === "price") {
      for (const record of records as readonly { coinId: string; lastUpdated: string }[])
        this.metrics.noteNewest(record.coinId, record.lastUpdated);
    } else if (ticket.kind === "ohlcv") {
      for (const record of records as readonly { coinId: string; timestamp: string }[])
        this.metrics.noteNewest(record.coinId, record.timestamp);
    }
  }

  private async acknowledge(source: Source, checkpoint: Checkpoint): Promise<void> {
    // A failed commit is not data loss: the batch was written, and a replay is idempotent.
    const committed = await source.commit(checkpoint);
    if (!committed.ok)
      this.logger.warn("commit failed; the batch may be read again", {
        source: source.id,
        error: committed.error.message,
      });
    try {
      await this.stateStore?.save(this.config.name, source.id, checkpoint);
    } catch (thrown) {
      this.logger.warn("saving the checkpoint failed; the batch may be read again", {
        source: source.id,
        error: (thrown as Error).message,
      });
    }
  }

  private failRun(error: QiError): void {
    if (this.fatal) return;
    this.fatal = error;
    this.logger.error("pipeline failed", { error: error.message, code: error.code });
    this.abort.abort();
    this.resolveFatal?.(error);
  }

  private async finish(error: QiError | undefined): Promise<RunSummary> {
    if (!error) {
      // Sources are done (exhausted or stopped): write what is buffered, wait for acknowledgements.
      for (const worker of this.workers.values()) await worker.drain();
      const abandoned = [...this.workers.values()].reduce(
        (total, worker) => total + worker.abandonedRecords,
        0,
      );
      if (abandoned > 0) {
        this.logger.warn("stopped without waiting for every write", {
          unwrittenRecords: abandoned,
          note: "not acknowledged: the next run reads them again",
        });
      }
      for (const runtime of this.runtimes) {
        if (this.fatal || abandoned > 0) break;
        await Promise.race([runtime.tracker.idle(), this.fatalSignal]);
      }
      for (const target of this.targets.values()) {
        const flushed = await target.flush();
        if (!flushed.ok)
          this.logger.warn("flush failed", { target: target.id, error: flushed.error.message });
      }
    }
    const failure = error ?? this.fatal;
    this.state = failure ? "failed" : "stopped";
    this.abort.abort();
    return this.summary(failure);
  }

  private summary(error?: QiError): RunSummary {
    const snapshot = this.metrics.snapshot();
    return {
      pipeline: this.config.name,
      state: this.state,
      durationMs: this.startedAt ? Date.now() - this.startedAt : 0,
      recordsIn: this.metrics.totalIn(),
      recordsOut: snapshot.recordsOut,
      recordsFailed: snapshot.recordsFailed,
      deadLetters: snapshot.deadLetters,
      deadLetterDestination: this.deadLetters?.description ?? describeDeadLetterConfig(this.config),
      checkpoints: this.stateLocation || describeStateConfig(this.config),
      ...(error ? { error } : {}),
    };
  }

  private failInit(error: QiError): Result<void, QiError> {
    this.state = "failed";
    return err(error);
  }
}

function pick(options: PipelineOptions): {
  registry: AdapterRegistry;
  env?: Record<string, string | undefined>;
} {
  return { registry: options.registry ?? defaultRegistry(), ...(options.env ? { env: options.env } : {}) };
}

function describeDeadLetterConfig(config: ResolvedPipeline): string {
  const { deadLetter } = config.delivery;
  return "target" in deadLetter ? `target "${deadLetter.target}"` : `file ${deadLetter.path}`;
}

function describeStateConfig(config: ResolvedPipeline): string {
  return config.state.store === "target" ? `target "${config.state.target}"` : config.state.path;
}

function configBug(message: string): QiError {
  return new QiError({ code: "CONFIG_INVALID", message, category: "VALIDATION", retryable: false });
}
