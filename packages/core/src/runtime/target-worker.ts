import type { DeadLetter } from "../adapters/types";
import type { MarketRecord, RecordKind } from "../dsl/kinds";
import { toQiError } from "../errors/qi-error";
import type { BatchTicket } from "./ack-tracker";
import { type DeadLetterSink, deadLetterFailure, deadLetterFor } from "./dead-letters";
import type { PipelineMetrics } from "./metrics";
import type { RunControl } from "./run-control";
import { tapRecords } from "./tap";
import type { Target } from "./target";
import { WriteScheduler } from "./write-scheduler";

export interface BatchPolicy {
  maxRecords: number;
  maxWaitMs: number;
  /** A partial batch goes at once to a target with a write slot free (default true). */
  sendWhenIdle?: boolean;
}

/** Records of one source batch waiting for one target. */
interface Segment {
  records: readonly MarketRecord[];
  ticket: BatchTicket;
  sourceId: string;
  origin: Record<string, unknown> | undefined;
}

interface KindBuffer {
  segments: Segment[];
  count: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Feeds one target: gathers records per kind into batches of up to `maxRecords`. A target with
 * a write slot free gets what is buffered at once, after the current turn (so the records of
 * one turn ride together); while every slot is busy, records gather and go when a write
 * finishes, or `maxWaitMs` after the first at the latest. This is smart batching: at a low rate
 * a record waits for no timer (latency is one write), at a high rate batches fill up by
 * themselves while the database works (throughput), with no setting to tune between the two.
 * `sendWhenIdle: false` restores waiting `maxWaitMs` for a batch to fill (fewer, larger writes
 * at low rates). A target that takes one write at a
 * time gets one batch at a time, in read order. One that takes several
 * (`target.writeConcurrency`) gets up to that many batches at once, never two sharing a
 * primary key (see WriteScheduler), so a key's writes stay in read order while the database
 * works on one batch and the next is encoded and sent. Records the target refuses, or that
 * still fail after the retries, go to the dead-letter sink; a batch's ticket is settled only
 * after its records are written or dead-lettered, and the source acknowledges in read order.
 */
export class TargetWorker {
  private readonly buffers = new Map<RecordKind, KindBuffer>();
  /** The tail of the writes, one at a time (a target that takes one write at once). */
  private writing: Promise<void> = Promise.resolve();
  /** A target that takes several writes at once gets them through this. */
  private readonly scheduler: WriteScheduler | undefined;
  /** Batches handed to the target and not finished yet (written, queued or retrying). */
  private batchesInFlight = 0;
  /** The pending send of partial batches to a target with a slot free. */
  private sendSoon: NodeJS.Immediate | undefined;

  constructor(
    readonly target: Target,
    private readonly policy: BatchPolicy,
    private readonly deadLetters: DeadLetterSink,
    private readonly metrics: PipelineMetrics,
    private readonly run: RunControl,
  ) {
    if (target.writeConcurrency > 1)
      this.scheduler = new WriteScheduler(target.writeConcurrency, (thrown) =>
        run.fail(toQiError(thrown, { message: `target "${target.id}": a write failed unexpectedly` })),
      );
  }

  /** Records whose writes were given up by a stop that would not wait any longer (not acknowledged). */
  abandonedRecords = 0;

  enqueue(
    kind: RecordKind,
    records: readonly MarketRecord[],
    ticket: BatchTicket,
    sourceId: string,
    origin?: Record<string, unknown>,
  ): void {
    let buffer = this.buffers.get(kind);
    if (!buffer) {
      buffer = { segments: [], count: 0, timer: undefined };
      this.buffers.set(kind, buffer);
    }
    buffer.segments.push({ records, ticket, sourceId, origin });
    buffer.count += records.length;
    if (buffer.count >= this.policy.maxRecords) {
      this.flushKind(kind, buffer, false);
    } else if (!buffer.timer) {
      const target = buffer;
      buffer.timer = setTimeout(() => this.flushKind(kind, target, true), this.policy.maxWaitMs);
    }
    if (buffer.count > 0) this.sendWhenIdle();
  }

  /** Writes everything buffered now and resolves when all writes have finished. */
  async drain(): Promise<void> {
    if (this.sendSoon) clearImmediate(this.sendSoon);
    this.sendSoon = undefined;
    for (const [kind, buffer] of this.buffers) this.flushKind(kind, buffer, true);
    await this.writing;
    await this.scheduler?.idle();
  }

  private flushKind(kind: RecordKind, buffer: KindBuffer, includePartial: boolean): void {
    if (buffer.timer) {
      clearTimeout(buffer.timer);
      buffer.timer = undefined;
    }
    while (buffer.count >= this.policy.maxRecords || (includePartial && buffer.count > 0)) {
      this.schedule(kind, this.takeBatch(buffer));
    }
    if (buffer.count > 0 && !buffer.timer) {
      buffer.timer = setTimeout(() => this.flushKind(kind, buffer, true), this.policy.maxWaitMs);
    }
  }

  private hasFreeSlot(): boolean {
    return this.batchesInFlight < this.target.writeConcurrency;
  }

  /** Sends partial batches after this turn if the target has a write slot free then. */
  private sendWhenIdle(): void {
    if (this.policy.sendWhenIdle === false || this.sendSoon || !this.hasFreeSlot()) return;
    this.sendSoon = setImmediate(() => {
      this.sendSoon = undefined;
      for (const [kind, buffer] of this.buffers) {
        while (buffer.count > 0 && this.hasFreeSlot()) this.schedule(kind, this.takeBatch(buffer));
        if (buffer.count === 0 && buffer.timer) {
          clearTimeout(buffer.timer);
          buffer.timer = undefined;
        }
      }
    });
  }

  /** Takes up to maxRecords from the front of the buffer, splitting a segment if needed. */
  private takeBatch(buffer: KindBuffer): Segment[] {
    const taken: Segment[] = [];
    let room = this.policy.maxRecords;
    while (room > 0 && buffer.segments.length > 0) {
      const head = buffer.segments[0] as Segment;
      if (head.records.length <= room) {
        buffer.segments.shift();
        taken.push(head);
        room -= head.records.length;
        buffer.count -= head.records.length;
      } else {
        // The rest of the segment stays buffered and settles the same ticket separately.
        head.ticket.addPending();
        taken.push({ ...head, records: head.records.slice(0, room) });
        buffer.segments[0] = { ...head, records: head.records.slice(room) };
        buffer.count -= room;
        room = 0;
      }
    }
    return taken;
  }

  /** Queues a batch; its segments settle once it is written. */
  private schedule(kind: RecordKind, segments: Segment[]): void {
    this.batchesInFlight += 1;
    const write = async () => {
      try {
        if (await this.writeBatch(kind, segments)) for (const segment of segments) segment.ticket.settle();
      } finally {
        this.batchesInFlight -= 1;
        // What gathered while every slot was busy goes now, as one batch per free slot.
        if (this.hasPartialBatch()) this.sendWhenIdle();
      }
    };
    if (this.scheduler) {
      this.scheduler.schedule(kind, recordsOf(segments), write);
      return;
    }
    this.writing = this.writing.then(write);
  }

  private hasPartialBatch(): boolean {
    for (const buffer of this.buffers.values()) if (buffer.count > 0) return true;
    return false;
  }

  /** Writes a batch; true when every record of it is written or dead-lettered. */
  private async writeBatch(kind: RecordKind, segments: Segment[]): Promise<boolean> {
    // The pipeline is failing, or a stop gave up waiting: leave tickets open so nothing more
    // is acknowledged; those records are read again on the next run.
    if (this.run.failure) return false;
    if (this.run.writing.aborted) {
      this.abandonedRecords += segments.reduce((total, segment) => total + segment.records.length, 0);
      return false;
    }
    const records = recordsOf(segments);
    const result = await this.target.write(kind, records, this.run.writing);
    if (!result.ok && result.error.code === "CANCELLED") {
      this.abandonedRecords += records.length;
      return false;
    }
    if (!result.ok && result.error.code === "RETRIES_EXHAUSTED") {
      // Valid records that met an outage longer than delivery.retry allows: failing the run
      // keeps them unacknowledged (read again after a restart) instead of dead-lettering them.
      this.run.fail(result.error);
      return false;
    }
    if (result.ok) tapRecords(this.metrics, "target", this.target.id, kind, records);
    const letters: DeadLetter[] = [];
    const targetId = this.target.id;
    if (result.ok) {
      const { written, failed } = result.value;
      this.metrics.countOut(targetId, written);
      if (failed.length > 0) {
        this.metrics.countFailed(targetId, failed.length);
        for (const failure of failed) {
          const segment = segmentAt(segments, failure.index);
          letters.push(
            deadLetterFor(kind, records[failure.index], failure.error, {
              sourceId: segment?.sourceId ?? "",
              targetId,
              ...(segment?.origin ? { origin: segment.origin } : {}),
            }),
          );
        }
      }
    } else {
      this.metrics.countFailed(targetId, records.length);
      for (const segment of segments) {
        for (const record of segment.records) {
          letters.push(
            deadLetterFor(kind, record, result.error, {
              sourceId: segment.sourceId,
              targetId,
              ...(segment.origin ? { origin: segment.origin } : {}),
            }),
          );
        }
      }
    }
    if (letters.length > 0) {
      try {
        await this.deadLetters.write(letters);
        this.metrics.countDeadLetters(letters.length);
      } catch (thrown) {
        // Without a dead-letter destination these records would be lost: stop acknowledging.
        this.run.fail(deadLetterFailure(this.deadLetters, thrown));
        return false;
      }
    }
    return true;
  }
}

function recordsOf(segments: readonly Segment[]): readonly MarketRecord[] {
  return segments.length === 1
    ? (segments[0] as Segment).records
    : segments.flatMap((segment) => segment.records);
}

function segmentAt(segments: readonly Segment[], index: number): Segment | undefined {
  let offset = 0;
  for (const segment of segments) {
    if (index < offset + segment.records.length) return segment;
    offset += segment.records.length;
  }
  return undefined;
}
