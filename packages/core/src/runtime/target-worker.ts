import type { DeadLetter } from "../adapters/types";
import type { MarketRecord, RecordKind } from "../dsl/kinds";
import type { BatchTicket } from "./ack-tracker";
import { type DeadLetterSink, deadLetterFailure, deadLetterFor } from "./dead-letters";
import { splitByKey } from "./key-lanes";
import type { PipelineMetrics } from "./metrics";
import type { RunControl } from "./run-control";
import { tapRecords } from "./tap";
import type { Target } from "./target";

export interface BatchPolicy {
  maxRecords: number;
  maxWaitMs: number;
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
 * Feeds one target: gathers records per kind into batches of up to `maxRecords`,
 * waiting at most `maxWaitMs` for a batch to fill. A target that takes one write at a
 * time gets one batch at a time, in read order. One that takes several
 * (`target.writeConcurrency`) gets each batch split by primary key into that many lanes,
 * each lane writing its parts one at a time: a key's writes stay in read order, and the
 * database works on one lane while the others are sent or encoded. Records the target
 * refuses, or that still fail after the retries, go to the dead-letter sink; a batch's
 * ticket is settled only after every lane's part of it is written or dead-lettered.
 */
export class TargetWorker {
  private readonly buffers = new Map<RecordKind, KindBuffer>();
  /** The tail of each lane's writes. */
  private readonly lanes: Promise<void>[];

  constructor(
    readonly target: Target,
    private readonly policy: BatchPolicy,
    private readonly deadLetters: DeadLetterSink,
    private readonly metrics: PipelineMetrics,
    private readonly run: RunControl,
  ) {
    this.lanes = Array.from({ length: target.writeConcurrency }, () => Promise.resolve());
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
  }

  /** Writes everything buffered now and resolves when all writes have finished. */
  async drain(): Promise<void> {
    for (const [kind, buffer] of this.buffers) this.flushKind(kind, buffer, true);
    await Promise.all(this.lanes);
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

  /** Queues a batch on the lanes; its segments settle once every part of it is written. */
  private schedule(kind: RecordKind, segments: Segment[]): void {
    const settle = () => {
      for (const segment of segments) segment.ticket.settle();
    };
    if (this.lanes.length === 1) {
      this.lanes[0] = (this.lanes[0] as Promise<void>).then(async () => {
        if (await this.writePart(kind, segments)) settle();
      });
      return;
    }
    const parts = this.splitSegments(kind, segments);
    let waiting = parts.filter((part) => part.length > 0).length;
    let failed = false;
    parts.forEach((part, lane) => {
      if (part.length === 0) return;
      this.lanes[lane] = (this.lanes[lane] as Promise<void>).then(async () => {
        // A part not written leaves the whole batch unacknowledged, whatever the other lanes did.
        if (!(await this.writePart(kind, part))) failed = true;
        if (--waiting === 0 && !failed) settle();
      });
    });
    if (waiting === 0) settle();
  }

  /** Each lane's share of a batch, as segments of the same sources and tickets. */
  private splitSegments(kind: RecordKind, segments: readonly Segment[]): Segment[][] {
    const parts: Segment[][] = this.lanes.map(() => []);
    for (const segment of segments) {
      splitByKey(kind, segment.records, this.lanes.length).forEach((records, lane) => {
        if (records.length > 0) (parts[lane] as Segment[]).push({ ...segment, records });
      });
    }
    return parts;
  }

  /** Writes records of one or more segments; true when every record is written or dead-lettered. */
  private async writePart(kind: RecordKind, segments: Segment[]): Promise<boolean> {
    // The pipeline is failing, or a stop gave up waiting: leave tickets open so nothing more
    // is acknowledged; those records are read again on the next run.
    if (this.run.failure) return false;
    if (this.run.writing.aborted) {
      this.abandonedRecords += segments.reduce((total, segment) => total + segment.records.length, 0);
      return false;
    }
    const records =
      segments.length === 1
        ? (segments[0] as Segment).records
        : segments.flatMap((segment) => segment.records);
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

function segmentAt(segments: readonly Segment[], index: number): Segment | undefined {
  let offset = 0;
  for (const segment of segments) {
    if (index < offset + segment.records.length) return segment;
    offset += segment.records.length;
  }
  return undefined;
}
