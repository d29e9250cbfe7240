import type { Checkpoint, SourceBatch, StateStore } from "../adapters/types";
import type { MarketRecord, RecordKind } from "../dsl/kinds";
import { validateRecords } from "../dsl/validate";
import { toQiError } from "../errors/qi-error";
import { AckTracker } from "./ack-tracker";
import { type DeadLetterSink, deadLetterFailure, deadLetterFor } from "./dead-letters";
import { noteFreshness } from "./freshness";
import type { Logger } from "./logger";
import type { PipelineMetrics } from "./metrics";
import type { RecordGate } from "./record-gate";
import { abortableSleep, backoffDelay, retriesExhausted } from "./retry";
import type { RunControl } from "./run-control";
import type { Source } from "./source";
import { tapRecords } from "./tap";
import type { TargetWorker } from "./target-worker";

export interface SourceRunnerParts {
  pipelineName: string;
  /** The target workers each kind of this source's records goes to. */
  routes: ReadonlyMap<RecordKind, readonly TargetWorker[]>;
  /** The source emits the canonical form already: its records skip validation. */
  trusted: boolean;
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
  private readonly tracker = new AckTracker((checkpoint) => this.acknowledge(checkpoint));

  constructor(
    readonly source: Source,
    private readonly parts: SourceRunnerParts,
  ) {}

  /** Resolves when every batch taken so far is written (or dead-lettered) and acknowledged. */
  idle(): Promise<void> {
    return this.tracker.idle();
  }

  /** Reads until the source is exhausted, the run stops, or the source fails for good. */
  async run(): Promise<void> {
    const { run } = this.parts;
    const signal = run.reading;
    let checkpoint = await this.loadCheckpoint();
    if (run.failure) return;
    const streak = new FailureStreak(this.source);
    for (;;) {
      try {
        for await (const batch of this.source.read({
          ...(checkpoint !== undefined ? { checkpoint } : {}),
          signal,
        })) {
          if (signal.aborted) return;
          streak.recovered();
          await this.take(batch);
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

  /** Takes one batch: validate, dead-letter the invalid, hold room for the rest, hand it to the targets. */
  private async take(batch: SourceBatch): Promise<void> {
    const { metrics, gate, routes } = this.parts;
    metrics.countIn(this.source.id, batch.records.length);
    const records = this.parts.trusted
      ? (batch.records as readonly MarketRecord[])
      : await this.validated(batch);
    if (records === undefined) return;
    tapRecords(metrics, "source", this.source.id, batch.kind, records);
    const workers = records.length > 0 ? (routes.get(batch.kind) ?? []) : [];
    // The room this batch takes in the bounded queue is given back when every target has it.
    const held = workers.length > 0 ? records.length : 0;
    if (held > 0) await gate.acquire(held);
    const ticket = this.tracker.track(batch.kind, records, batch.checkpoint, workers.length, () => {
      if (held > 0) gate.release(held);
      noteFreshness(metrics, batch.kind, records);
    });
    for (const worker of workers) worker.enqueue(batch.kind, records, ticket, this.source.id, batch.origin);
  }

  /** The valid records of a batch; the invalid ones are dead-lettered. Undefined when that failed. */
  private async validated(batch: SourceBatch): Promise<readonly MarketRecord[] | undefined> {
    const { valid, invalid } = validateRecords(batch.kind, batch.records);
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

  private async acknowledge(checkpoint: Checkpoint): Promise<void> {
    // A failed commit is not data loss: the batch was written, and a replay is idempotent.
    const committed = await this.source.commit(checkpoint);
    if (!committed.ok)
      this.parts.logger.warn("commit failed; the batch may be read again", {
        source: this.source.id,
        error: committed.error.message,
      });
    try {
      await this.parts.stateStore?.save(this.parts.pipelineName, this.source.id, checkpoint);
    } catch (thrown) {
      this.parts.logger.warn("saving the checkpoint failed; the batch may be read again", {
        source: this.source.id,
        error: (thrown as Error).message,
      });
    }
  }
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
