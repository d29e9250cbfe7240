import type { ProcessorRejection, RecordBatch } from "../adapters/processor-types";
import type { Checkpoint, SourceBatch, StateStore } from "../adapters/types";
import type { MarketRecord, RecordKind } from "../dsl/kinds";
import { validateRecords } from "../dsl/validate";
import { toQiError } from "../errors/qi-error";
import { AckTracker, type BatchTicket } from "./ack-tracker";
import { type DeadLetterSink, deadLetterFailure, deadLetterFor } from "./dead-letters";
import { noteFreshness } from "./freshness";
import type { Logger } from "./logger";
import type { PipelineMetrics } from "./metrics";
import type { ProcessorChain } from "./processor-chain";
import type { RecordGate } from "./record-gate";
import { abortableSleep, backoffDelay, retriesExhausted } from "./retry";
import type { RunControl } from "./run-control";
import type { Source } from "./source";
import { tapRecords } from "./tap";
import type { TargetWorker } from "./target-worker";

/** A route with processing steps: the kinds it takes, its chain, and the workers of its targets. */
export interface ProcessedRoute {
  kinds: ReadonlySet<RecordKind>;
  chain: ProcessorChain;
  workers: readonly TargetWorker[];
}

export interface SourceRunnerParts {
  pipelineName: string;
  /** The target workers each kind of this source's records goes to, on routes without processors. */
  routes: ReadonlyMap<RecordKind, readonly TargetWorker[]>;
  /** Routes with processors. */
  processedRoutes: readonly ProcessedRoute[];
  /** The source's own processors, applied before every route. */
  sourceChain: ProcessorChain | undefined;
  /** The source emits the canonical form already: its records skip validation. */
  trusted: boolean;
  /** The source's records are new objects it lets go of: validated in place, not copied. */
  freshRecords: boolean;
  /** Read again this long after `read` returns (a polling source); undefined: once. */
  everyMs: number | undefined;
  /** The bound on records between sources and targets, shared by every source. */
  gate: RecordGate;
  deadLetters: DeadLetterSink;
  stateStore: StateStore | undefined;
  metrics: PipelineMetrics;
  logger: Logger;
  run: RunControl;
}

/**
 * One source's way through the pipeline, from read to acknowledgement, in one place:
 * read (again after a passing failure, from the last batch taken), validate (invalid
 * records to the dead-letter destination), take room in the bounded queue, hand the batch
 * to its targets, and once every target has it, give the room back and acknowledge, in
 * read order (commit to the source, checkpoint to the state store).
 */
export class SourceRunner {
  private readonly tracker = new AckTracker((checkpoint, sequence) => this.acknowledge(checkpoint, sequence));
  /** The batch whose checkpoint (with the processors' state) was last saved in this run. */
  private savedSequence = 0;
  /** Numbers the batches taken, for processors that hold their effect (1, 2, 3 ...). */
  private sequence = 0;
  /** Takes, ticks and the final flush run one at a time: a processor sees one call at a time. */
  private busy: Promise<unknown> = Promise.resolve();

  constructor(
    readonly source: Source,
    private readonly parts: SourceRunnerParts,
  ) {}

  /**
   * Resolves when every batch taken so far is written (or dead-lettered) and acknowledged,
   * except batches a processor still holds (an open candle bucket when the run stops): those
   * are left unacknowledged, to be read again by the next run.
   */
  idle(): Promise<void> {
    return this.tracker.drained();
  }

  private get hasProcessors(): boolean {
    return this.parts.sourceChain !== undefined || this.parts.processedRoutes.length > 0;
  }

  private get chains(): ProcessorChain[] {
    return [
      ...(this.parts.sourceChain ? [this.parts.sourceChain] : []),
      ...this.parts.processedRoutes.map((route) => route.chain),
    ];
  }

  /** Reads until the source is exhausted, the run stops, or the source fails for good. */
  async run(): Promise<void> {
    const { run } = this.parts;
    const signal = run.reading;
    const checkpoint = await this.loadCheckpoint();
    if (run.failure) return;
    await this.restoreProcessors(checkpoint);
    if (run.failure) return;
    const streak = new FailureStreak(this.source);
    const ticks = this.startTicks();
    try {
      await this.readLoop(checkpoint, streak);
    } finally {
      clearInterval(ticks);
    }
    // A source that ran out (not a stop): processors hand on what they still hold.
    if (!signal.aborted && !run.failure && this.chains.length > 0)
      await this.serially(() => this.flushChains());
  }

  private async readLoop(initial: Checkpoint | undefined, streak: FailureStreak): Promise<void> {
    const { run } = this.parts;
    const signal = run.reading;
    let checkpoint = initial;
    for (;;) {
      try {
        for await (const batch of this.source.read({
          ...(checkpoint !== undefined ? { checkpoint } : {}),
          signal,
        })) {
          if (signal.aborted) return;
          streak.recovered();
          // Without processors no tick or flush can run beside a take: skip the queue (a promise
          // per batch that cost the runtime a third of its speed).
          if (this.hasProcessors) await this.serially(() => this.take(batch));
          else await this.take(batch);
          if (batch.checkpoint !== undefined) checkpoint = batch.checkpoint;
        }
        streak.recovered();
        if (this.parts.everyMs === undefined || signal.aborted) return;
        await abortableSleep(this.parts.everyMs, signal);
      } catch (thrown) {
        if (signal.aborted) return;
        const error = toQiError(thrown, {
          code: "READ_FAILED",
          message: `source "${this.source.id}" (${this.source.name}) failed`,
          category: "EXTERNAL",
        });
        const failure = streak.failed(error);
        if (failure) return run.fail(failure);
        await abortableSleep(streak.delayMs, signal);
      }
      if (signal.aborted) return;
    }
  }

  /**
   * Takes one batch: validate (dead-letter the invalid), hold room in the bounded queue, run it
   * through the processors, hand what comes out to the targets. It is acknowledged once every
   * target has it and no processor holds its effect any more.
   */
  private async take(batch: SourceBatch): Promise<void> {
    const { metrics, gate, run } = this.parts;
    metrics.countIn(this.source.id, batch.records.length);
    const records = this.parts.trusted
      ? (batch.records as readonly MarketRecord[])
      : await this.validated(batch);
    if (records === undefined) return;
    tapRecords(metrics, "source", this.source.id, batch.kind, records);
    const sequence = ++this.sequence;
    // The room this batch takes in the bounded queue is given back when every target has it.
    const held = records.length;
    if (held > 0) await gate.acquire(held);
    let routed: Routed;
    try {
      routed = this.hasProcessors
        ? await this.route({ kind: batch.kind, records }, sequence)
        : this.routePlain({ kind: batch.kind, records });
    } catch (thrown) {
      gate.release(held);
      run.fail(toQiError(thrown));
      return;
    }
    if (routed.rejected.length > 0 && !(await this.deadLetterRejected(routed.rejected, batch.origin))) {
      gate.release(held);
      return;
    }
    const pending = routed.deliveries.reduce((total, delivery) => total + delivery.workers.length, 0);
    const ticket = this.tracker.track(
      batch.checkpoint,
      pending,
      () => {
        if (held > 0) gate.release(held);
        for (const delivery of routed.deliveries) noteFreshness(metrics, delivery.kind, delivery.records);
      },
      sequence,
    );
    for (const chain of routed.chains) chain.settleHolds(ticket, { sequence, ticket });
    this.deliver(routed.deliveries, ticket, batch.origin);
    ticket.settleIfNothingPending();
  }

  /** Runs records through the source's processors, then each route's, and says where what comes out goes. */
  /** Where a batch goes on routes without processors (all of them, when hasProcessors is false). */
  private routePlain(batch: RecordBatch): Routed {
    const routed: Routed = { deliveries: [], rejected: [], chains: new Set() };
    const plain = batch.records.length > 0 ? (this.parts.routes.get(batch.kind) ?? []) : [];
    if (plain.length > 0)
      routed.deliveries.push({ kind: batch.kind, records: batch.records, workers: plain });
    return routed;
  }

  private async route(batch: RecordBatch, sequence: number): Promise<Routed> {
    const routed: Routed = { deliveries: [], rejected: [], chains: new Set() };
    let batches: RecordBatch[] = [batch];
    const { sourceChain } = this.parts;
    if (sourceChain) {
      const output = await sourceChain.push(batch, sequence);
      routed.chains.add(sourceChain);
      routed.rejected.push(...output.rejected);
      batches = output.batches;
    }
    for (const next of batches) await this.routeOne(next, sequence, routed);
    return routed;
  }

  private async routeOne(batch: RecordBatch, sequence: number, routed: Routed): Promise<void> {
    if (batch.records.length === 0) return;
    const plain = this.parts.routes.get(batch.kind) ?? [];
    if (plain.length > 0)
      routed.deliveries.push({ kind: batch.kind, records: batch.records, workers: plain });
    for (const route of this.parts.processedRoutes) {
      if (!route.kinds.has(batch.kind)) continue;
      const output = await route.chain.push(batch, sequence);
      routed.chains.add(route.chain);
      routed.rejected.push(...output.rejected);
      for (const out of output.batches)
        if (out.records.length > 0)
          routed.deliveries.push({ kind: out.kind, records: out.records, workers: route.workers });
    }
  }

  private deliver(
    deliveries: readonly Delivery[],
    ticket: BatchTicket,
    origin: Record<string, unknown> | undefined,
  ) {
    for (const delivery of deliveries)
      for (const worker of delivery.workers)
        worker.enqueue(delivery.kind, delivery.records, ticket, this.source.id, origin);
  }

  /** Every second, processors that close work by time hand on what is due. */
  private startTicks(): ReturnType<typeof setInterval> | undefined {
    if (!this.chains.some((chain) => chain.ticks)) return undefined;
    const timer = setInterval(() => {
      void this.serially(() => this.tickChains(Date.now())).catch((thrown) =>
        this.parts.run.fail(toQiError(thrown)),
      );
    }, 1_000);
    timer.unref?.();
    return timer;
  }

  private async tickChains(now: number): Promise<void> {
    if (this.parts.run.reading.aborted) return;
    await this.handOn((chain) => chain.tick(now), false);
  }

  private async flushChains(): Promise<void> {
    await this.handOn((chain) => chain.flush(), true);
  }

  /**
   * What chains hand on outside a batch (a tick, the final flush): the source's chain first,
   * its output through the routes' chains, then each route's own. Delivered under a ticket of
   * its own, which releases the inputs the chains no longer hold once it is written.
   */
  private async handOn(
    call: (chain: ProcessorChain) => Promise<{ batches: RecordBatch[]; rejected: ProcessorRejection[] }>,
    everything: boolean,
  ) {
    const routed: Routed = { deliveries: [], rejected: [], chains: new Set(this.chains) };
    const { sourceChain } = this.parts;
    if (sourceChain) {
      const output = await call(sourceChain);
      routed.rejected.push(...output.rejected);
      for (const batch of output.batches) await this.routeOne(batch, batch.sequence ?? 0, routed);
    }
    for (const route of this.parts.processedRoutes) {
      const output = await call(route.chain);
      routed.rejected.push(...output.rejected);
      for (const out of output.batches)
        if (out.records.length > 0)
          routed.deliveries.push({ kind: out.kind, records: out.records, workers: route.workers });
    }
    if (!(await this.deadLetterRejected(routed.rejected, undefined))) return;
    const pending = routed.deliveries.reduce((total, delivery) => total + delivery.workers.length, 0);
    const { metrics } = this.parts;
    const ticket = this.tracker.track(undefined, pending, () => {
      for (const delivery of routed.deliveries) noteFreshness(metrics, delivery.kind, delivery.records);
    });
    for (const chain of routed.chains) chain.settleHolds(ticket, undefined, everything);
    this.deliver(routed.deliveries, ticket, undefined);
    ticket.settleIfNothingPending();
  }

  /** Dead-letters what processors refused; false when that failed (the run then fails). */
  private async deadLetterRejected(
    rejected: readonly ProcessorRejection[],
    origin: Record<string, unknown> | undefined,
  ) {
    if (rejected.length === 0) return true;
    const letters = rejected.map(({ kind, record, error }) =>
      deadLetterFor(kind, record, error, { sourceId: this.source.id, ...(origin ? { origin } : {}) }),
    );
    try {
      await this.parts.deadLetters.write(letters);
      this.parts.metrics.countDeadLetters(letters.length);
      return true;
    } catch (thrown) {
      this.parts.run.fail(deadLetterFailure(this.parts.deadLetters, thrown));
      return false;
    }
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.busy.then(work, work);
    this.busy = result.catch(() => undefined);
    return result;
  }

  /** The valid records of a batch; the invalid ones are dead-lettered. Undefined when that failed. */
  private async validated(batch: SourceBatch): Promise<readonly MarketRecord[] | undefined> {
    const { valid, invalid } = validateRecords(batch.kind, batch.records, {
      fresh: this.parts.freshRecords,
    });
    if (invalid.length === 0) return valid as MarketRecord[];
    this.parts.metrics.countFailed(this.source.id, invalid.length);
    const letters = invalid.map(({ input, error }) =>
      deadLetterFor(batch.kind, input, error, {
        sourceId: this.source.id,
        ...(batch.origin ? { origin: batch.origin } : {}),
      }),
    );
    try {
      await this.parts.deadLetters.write(letters);
      this.parts.metrics.countDeadLetters(letters.length);
      return valid as MarketRecord[];
    } catch (thrown) {
      this.parts.run.fail(deadLetterFailure(this.parts.deadLetters, thrown));
      return undefined;
    }
  }

  private async loadCheckpoint(): Promise<Checkpoint | undefined> {
    try {
      const checkpoint = await this.parts.stateStore?.load(this.parts.pipelineName, this.source.id);
      if (checkpoint !== undefined)
        this.parts.logger.info("resuming from checkpoint", { source: this.source.id, checkpoint });
      return checkpoint;
    } catch (thrown) {
      this.parts.run.fail(
        toQiError(thrown, {
          code: "STATE_STORE_FAILED",
          message: `loading the checkpoint of source "${this.source.id}" failed`,
          category: "SYSTEM",
        }),
      );
      return undefined;
    }
  }

  /** Where the processors' state is kept beside the source's checkpoint. */
  private get processorStateKey(): string {
    return `${this.source.id}#processors`;
  }

  /** Chains whose steps keep state with the checkpoints, when there is a store for them. */
  private get snapshotting(): ProcessorChain[] {
    return this.parts.stateStore ? this.chains.filter((chain) => chain.snapshots) : [];
  }

  /**
   * Before the first batch: the processors get the state saved with the checkpoint this run
   * resumes from (none on a first run), so that what the source reads again does not make
   * them write what was written already from part of its inputs.
   */
  private async restoreProcessors(checkpoint: Checkpoint | undefined): Promise<void> {
    const chains = this.snapshotting;
    if (chains.length === 0) return;
    try {
      const saved =
        checkpoint === undefined
          ? undefined
          : await this.parts.stateStore?.load(this.parts.pipelineName, this.processorStateKey);
      const states = Array.isArray(saved) && saved.length === chains.length ? saved : undefined;
      chains.forEach((chain, index) => {
        const state = states?.[index];
        chain.restore(Array.isArray(state) ? state : undefined);
      });
    } catch (thrown) {
      this.parts.run.fail(
        toQiError(thrown, {
          code: "STATE_STORE_FAILED",
          message: `loading the processors' state of source "${this.source.id}" failed`,
          category: "SYSTEM",
        }),
      );
    }
  }

  private async acknowledge(checkpoint: Checkpoint, sequence: number): Promise<void> {
    const chains = this.snapshotting;
    if (chains.length > 0) {
      // The processors' state goes first: a commit without it would let a restart take a
      // bucket's tail for the whole bucket. Without it saved, nothing is committed.
      try {
        const states = chains.map((chain) => chain.snapshot(sequence, this.savedSequence));
        await this.parts.stateStore?.save(this.parts.pipelineName, this.processorStateKey, states);
      } catch (thrown) {
        this.parts.logger.warn("saving the processors' state failed; the checkpoint is not committed", {
          source: this.source.id,
          error: (thrown as Error).message,
        });
        return;
      }
    }
    // A failed commit is not data loss: the batch was written, and a replay is idempotent.
    const committed = await this.source.commit(checkpoint);
    if (!committed.ok)
      this.parts.logger.warn("commit failed; the batch may be read again", {
        source: this.source.id,
        error: committed.error.message,
      });
    try {
      await this.parts.stateStore?.save(this.parts.pipelineName, this.source.id, checkpoint);
      // A restart reads from here on (or from later): the processors' state need not cover earlier batches.
      if (committed.ok) this.savedSequence = sequence;
    } catch (thrown) {
      this.parts.logger.warn("saving the checkpoint failed; the batch may be read again", {
        source: this.source.id,
        error: (thrown as Error).message,
      });
    }
  }
}

/** Where a batch's records go after the processors, and what they refused. */
interface Delivery {
  kind: RecordKind;
  records: readonly MarketRecord[];
  workers: readonly TargetWorker[];
}

interface Routed {
  deliveries: Delivery[];
  rejected: ProcessorRejection[];
  /** The chains the batch went through (their holds are settled against it). */
  chains: Set<ProcessorChain>;
}

/** A source's consecutive failed reads, against the retry policy. */
class FailureStreak {
  private count = 0;
  private since = 0;
  delayMs = 0;

  constructor(private readonly source: Source) {}

  /** Counts a failure; returns the error that ends the run when it may not be retried (any more). */
  failed(error: ReturnType<typeof toQiError>) {
    if (!error.retryable) return error;
    const policy = this.source.retryPolicy;
    if (this.count === 0) this.since = Date.now();
    this.count++;
    const elapsedMs = Date.now() - this.since;
    if (
      this.count >= (policy.maxAttempts ?? Number.POSITIVE_INFINITY) ||
      elapsedMs >= (policy.maxElapsedMs ?? Number.POSITIVE_INFINITY)
    )
      return retriesExhausted(error, this.count, elapsedMs, policy);
    this.delayMs = backoffDelay(policy, this.count);
    this.source.readRetryHooks.onRetry?.(error, this.count, this.delayMs);
    return undefined;
  }

  recovered(): void {
    if (this.count === 0) return;
    this.source.readRetryHooks.onRecovered?.(this.count + 1, Date.now() - this.since);
    this.count = 0;
  }
}
