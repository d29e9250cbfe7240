import type { AdapterContext, HealthStatus, StateStore } from "../adapters/types";
import { loadPipelineConfig, loadPipelineFile } from "../config/index";
import type { ResolvedPipeline, ResolvedProcessor } from "../config/types";
import type { RecordKind } from "../dsl/kinds";
import { type QiError, toQiError } from "../errors/qi-error";
import { type AdapterRegistry, defaultRegistry } from "../registry/registry";
import { err, ok, type Result } from "../result/result";
import { type DeliveryState, describeDeliveryConfig, openDeliveryState } from "./delivery-state";
import { readinessReasons } from "./health";
import { createConsoleLogger, type Logger } from "./logger";
import { type MetricsSnapshot, PipelineMetrics } from "./metrics";
import { OutageTracker } from "./outages";
import { type ChainStep, ProcessorChain } from "./processor-chain";
import { RecordGate } from "./record-gate";
import { RunControl } from "./run-control";
import { Source } from "./source";
import { type ProcessedRoute, SourceRunner } from "./source-runner";
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

/**
 * A pipeline: sources feeding targets through a bounded queue, with at-least-once delivery
 * (a source batch is acknowledged only after every target it is routed to has written it or
 * dead-lettered what it refused). This class keeps the lifecycle (load, initialize, start,
 * stop, health); each source's way from read to acknowledgement is a SourceRunner's.
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
  private readonly control: RunControl;
  private readonly sources = new Map<string, Source>();
  private readonly targets = new Map<string, Target>();
  private readonly workers = new Map<string, TargetWorker>();
  private readonly runners: SourceRunner[] = [];
  private readonly gate: RecordGate;
  private delivery: DeliveryState | undefined;
  private startedAt = 0;
  private finished: Promise<RunSummary> | undefined;
  private stopRequested: Promise<RunSummary> | undefined;

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
    this.control = new RunControl(this.logger);
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

  /**
   * Creates every adapter and connects it (targets first, so nothing is read that cannot be
   * written). When a step fails, what was already connected is disconnected again.
   */
  async initialize(): Promise<Result<void, QiError>> {
    if (this.state !== "created") return ok(undefined);
    const prepared = await this.prepare();
    if (!prepared.ok) {
      this.state = "failed";
      await this.disconnectAll();
      return prepared;
    }
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
    const reading = Promise.all(this.runners.map((runner) => runner.run()));
    this.finished = Promise.race([reading, this.control.failed]).then(() => this.finish());
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
      const timer = setTimeout(() => this.control.abandonWrites(), options.timeoutMs);
      timer.unref?.();
      void this.done.finally(() => clearTimeout(timer));
    }
    if (this.stopRequested) return this.stopRequested;
    if (this.state === "running") this.state = "stopping";
    this.control.stopReading();
    this.stopRequested = this.done;
    return this.stopRequested;
  }

  /** Stops (see stop), then disconnects every adapter. */
  async destroy(options: StopOptions = {}): Promise<RunSummary> {
    const summary = await this.stop(options);
    await this.disconnectAll();
    return summary;
  }

  /** Liveness and readiness: ready once every adapter is connected and the data is fresh enough. */
  health(now = Date.now()): PipelineHealth {
    const live = this.state !== "failed";
    const reasons =
      this.state !== "running" && this.state !== "initialized" ? [`pipeline is ${this.state}`] : [];
    reasons.push(
      ...readinessReasons(
        {
          disconnected: [...this.sources.values(), ...this.targets.values()]
            .filter((adapter) => !adapter.isConnected)
            .map((adapter) => adapter.id),
          outages: this.outages,
          metrics: this.metrics,
          health: this.config.health,
        },
        now,
      ),
    );
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

  private async prepare(): Promise<Result<void, QiError>> {
    const { delivery } = this.config;
    for (const spec of this.config.targets) {
      const created = await Target.create(spec.definition, spec.config, this.contextFor(spec.id), {
        retry: delivery.retry,
        outages: this.outages,
        onWrite: (event) => this.metrics.observeBatch(spec.id, event.seconds),
      });
      if (!created.ok) return created;
      this.targets.set(spec.id, created.value);
    }
    for (const spec of this.config.sources) {
      const created = await Source.create(spec.definition, spec.config, this.contextFor(spec.id), {
        retry: delivery.retry,
        outages: this.outages,
      });
      if (!created.ok) return created;
      this.sources.set(spec.id, created.value);
    }
    for (const adapter of [...this.targets.values(), ...this.sources.values()]) {
      const connected = await adapter.connect();
      if (!connected.ok) return connected;
    }
    const opened = await openDeliveryState(this.config, this.targets, this.options.stateStore);
    if (!opened.ok) return opened;
    this.delivery = opened.value;
    this.logger.debug("checkpoints are kept in", { location: opened.value.stateLocation });
    const wired = await this.wire(opened.value);
    if (!wired.ok) return wired;
    return ok(undefined);
  }

  /** A chain of new processor instances for one source (and route). */
  private async chainOf(sourceId: string, processors: readonly ResolvedProcessor[] | undefined) {
    if (!processors || processors.length === 0) return ok(undefined);
    const steps: ChainStep[] = [];
    for (const processor of processors) {
      const label = `${sourceId}/${processor.id}`;
      try {
        const handlers = await processor.definition.create(processor.config, this.contextFor(label));
        steps.push({ label, definition: processor.definition, handlers });
      } catch (thrown) {
        return err(
          toQiError(thrown, {
            message: `processor "${label}" (${processor.definition.name}) could not be created`,
          }),
        );
      }
    }
    return ok(new ProcessorChain(steps, this.metrics));
  }

  /** One worker per target, one runner per source with the workers its routes name. */
  private async wire(delivery: DeliveryState): Promise<Result<void, QiError>> {
    for (const target of this.targets.values()) {
      this.workers.set(
        target.id,
        new TargetWorker(
          target,
          this.config.delivery.batch,
          delivery.deadLetters,
          this.metrics,
          this.control,
        ),
      );
    }
    for (const spec of this.config.sources) {
      const routes = new Map<RecordKind, TargetWorker[]>();
      const processedRoutes: ProcessedRoute[] = [];
      const sourceChain = await this.chainOf(spec.id, spec.processors);
      if (!sourceChain.ok) return sourceChain;
      for (const route of this.config.routes.filter((candidate) => candidate.from === spec.id)) {
        if (route.processors) {
          const chain = await this.chainOf(spec.id, route.processors);
          if (!chain.ok) return chain;
          const workers = route.to.flatMap((targetId) => this.workers.get(targetId) ?? []);
          if (chain.value) processedRoutes.push({ kinds: new Set(route.kinds), chain: chain.value, workers });
          continue;
        }
        for (const kind of route.kinds) {
          const list = routes.get(kind) ?? [];
          for (const targetId of route.to) {
            const worker = this.workers.get(targetId);
            if (worker && !list.includes(worker)) list.push(worker);
          }
          routes.set(kind, list);
        }
      }
      this.runners.push(
        new SourceRunner(this.sources.get(spec.id) as Source, {
          pipelineName: this.config.name,
          routes,
          processedRoutes,
          sourceChain: sourceChain.value,
          trusted: spec.definition.capabilities.trusted === true,
          freshRecords: spec.definition.capabilities.freshRecords === true,
          everyMs: spec.schedule?.everyMs,
          gate: this.gate,
          deadLetters: delivery.deadLetters,
          stateStore: delivery.stateStore,
          metrics: this.metrics,
          logger: this.logger,
          run: this.control,
        }),
      );
    }
    return ok(undefined);
  }

  private async finish(): Promise<RunSummary> {
    if (!this.control.failure) {
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
      } else {
        for (const runner of this.runners) {
          await Promise.race([runner.idle(), this.control.failed]);
          if (this.control.failure) break;
        }
      }
      for (const target of this.targets.values()) {
        const flushed = await target.flush();
        if (!flushed.ok)
          this.logger.warn("flush failed", { target: target.id, error: flushed.error.message });
      }
    }
    this.state = this.control.failure ? "failed" : "stopped";
    this.control.stopReading();
    return this.summary(this.control.failure);
  }

  private async disconnectAll(): Promise<void> {
    for (const source of this.sources.values()) await source.disconnect();
    for (const target of this.targets.values()) await target.disconnect();
    await this.delivery?.stateStore.close?.();
  }

  private contextFor(id: string): AdapterContext {
    return {
      id,
      pipelineName: this.config.name,
      logger: this.logger.child({ adapter: id }),
      baseDir: this.config.baseDir,
      signal: this.control.reading,
    };
  }

  private summary(error?: QiError): RunSummary {
    const snapshot = this.metrics.snapshot();
    const described = describeDeliveryConfig(this.config);
    return {
      pipeline: this.config.name,
      state: this.state,
      durationMs: this.startedAt ? Date.now() - this.startedAt : 0,
      recordsIn: this.metrics.totalIn(),
      recordsOut: snapshot.recordsOut,
      recordsFailed: snapshot.recordsFailed,
      deadLetters: snapshot.deadLetters,
      deadLetterDestination: this.delivery?.deadLetters.description ?? described.deadLetters,
      checkpoints: this.delivery?.stateLocation ?? described.checkpoints,
      ...(error ? { error } : {}),
    };
  }
}

function pick(options: PipelineOptions): {
  registry: AdapterRegistry;
  env?: Record<string, string | undefined>;
} {
  return { registry: options.registry ?? defaultRegistry(), ...(options.env ? { env: options.env } : {}) };
}
