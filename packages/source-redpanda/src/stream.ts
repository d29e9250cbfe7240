import type { Logger, MarketRecord, RecordKind, SourceBatch } from "@qicore/core/adapter";
import type {
  ConsumedBatch,
  ConsumerListener,
  KafkaAdmin,
  KafkaConsumer,
  OutgoingMessage,
  PartitionOffset,
  TopicPartitions,
} from "./client/types";
import type { CommitMember, OffsetCommitter } from "./committer";
import type { StartFrom } from "./config";
import { deadLetterMessage, decodeMessage } from "./decode";
import { kafkaFailure } from "./errors";
import { Positions, partitionKey } from "./offsets";

export interface StreamOptions {
  consumer: KafkaConsumer;
  admin: KafkaAdmin;
  groupId: string;
  sourceId: string;
  topics: readonly { topic: string; kind: RecordKind }[];
  startFrom: StartFrom;
  /** Offsets the runtime handed `read` (its last saved checkpoint). */
  checkpoint: readonly PartitionOffset[] | undefined;
  maxBufferedRecords: number;
  /** Produces refused messages to the dead-letter topic; resolves once they are stored, with how many went as bounded copies. */
  sendDeadLetters: (messages: readonly OutgoingMessage[]) => Promise<{ bounded: number }>;
  /** Where acknowledged offsets are committed; this stream is its member while it holds partitions. */
  committer: OffsetCommitter;
  /** The group gave this member partitions (`topic:partition` keys). */
  onAssigned: (partitions: readonly string[], memberId: string | undefined) => void;
  /** The consumer stopped for good; `memberId` may still be in the group. */
  onCrashed: (memberId: string | undefined) => void;
  logger: Logger;
}

/** A fetched batch as kafkajs handed it; decoded when the pipeline takes it. */
interface QueuedBatch {
  consumed: ConsumedBatch;
  kind: RecordKind;
  /** The assignment it was fetched under: after a rebalance it is stale. */
  assignment: number;
  nextOffset: string;
  weight: number;
}

/** Lag of one partition as of its last fetch. */
export interface FetchLag {
  topic: string;
  partition: number;
  /** Log end offset at the fetch. */
  highWatermark: string;
  /** Next offset this member will fetch. */
  position: string;
  lag: number;
}

/**
 * One `read()`: a consumer-group member whose fetched batches are queued as fetched, and
 * decoded and validated when the pipeline pulls them (kafkajs fetches the next meanwhile).
 *
 * - Backpressure: the queue holds at most `maxBufferedRecords`; above it every topic is
 *   paused (the member stays in the group, heartbeating), below half it resumes.
 * - Rebalance: queued batches are dropped and fetched again from where the pipeline took
 *   the last one, and only partitions assigned now are committed: batches the pipeline still
 *   writes from a revoked partition are finished but not committed by this member, so the
 *   new owner re-reads them (duplicates, never loss).
 * - Commits go through the source's OffsetCommitter, with this stream as its member while
 *   it lives.
 * - Start: a partition's first batch after an assignment is checked against where the
 *   pipeline took its last batch (the runtime's checkpoint, then what this stream handed
 *   out: forward only, never behind the group's committed offset) and, for partitions the
 *   group never committed, the configured start time; the consumer seeks there when it
 *   stands elsewhere.
 * - Crash: the consumer does not restart itself; `next` throws the (retryable) failure, and
 *   the pipeline reads again, with a new consumer, from the checkpoint of the last batch it
 *   took.
 */
export class ConsumerStream implements ConsumerListener, CommitMember {
  private queue: QueuedBatch[] = [];
  private buffered = 0;
  private paused = false;
  private closing = false;
  /** Assignments this member has had (not Kafka's group generation): a batch from an earlier one is stale. */
  private assignments = 0;
  private assigned = new Set<string>();
  private positioned = new Set<string>();
  private committedAtJoin: Promise<Map<string, string>> | undefined;
  private readonly timeOffsets = new Map<string, Promise<Map<number, string>>>();
  private readonly positions: Positions;
  private readonly fetchLag = new Map<string, FetchLag>();
  private readonly kinds: Map<string, RecordKind>;
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private memberId: string | undefined;
  private readonly topicNames: string[];
  /** Refused messages sent to the dead-letter topic by this stream. */
  deadLetters = 0;

  constructor(private readonly options: StreamOptions) {
    this.kinds = new Map(options.topics.map(({ topic, kind }) => [topic, kind]));
    this.topicNames = options.topics.map(({ topic }) => topic);
    this.positions = new Positions(options.checkpoint ?? []);
  }

  /** Whether the consumer stopped for good (a new read needs a new consumer). */
  get crashed(): boolean {
    return this.failure !== undefined;
  }

  async start(): Promise<void> {
    await this.options.consumer.start(this.topicNames, this.options.startFrom.at !== "latest", this);
  }

  /** The next batch for the pipeline, or undefined once the signal aborts. Throws when the consumer failed for good. */
  async next(signal: AbortSignal): Promise<SourceBatch | undefined> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (signal.aborted || this.closing) return undefined;
      const item = this.queue.shift();
      if (item) {
        this.buffered -= item.weight;
        if (this.paused && this.buffered <= this.options.maxBufferedRecords / 2) this.setPaused(false);
        const batch = await this.decode(item);
        // A rebalance while the refused messages were stored: the batch is fetched again.
        if (item.assignment !== this.assignments || this.closing) continue;
        this.positions.set(item.consumed.topic, item.consumed.partition, item.nextOffset);
        return { ...batch, checkpoint: this.positions.checkpoint() };
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener("abort", done);
          this.wake = undefined;
          resolve();
        };
        this.wake = done;
        signal.addEventListener("abort", done, { once: true });
      });
    }
  }

  /** Stops taking batches: pauses every topic and drops what is queued. The member stays in the group so commits still land. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.queue = [];
    this.buffered = 0;
    this.pauseAll();
    this.wake?.();
  }

  // CommitMember: the committer sends acknowledged offsets through this member while it lives.

  holds(key: string): boolean {
    return !this.failure && this.assigned.has(key);
  }

  commit(offsets: readonly PartitionOffset[]): Promise<void> {
    return this.options.consumer.commit(offsets);
  }

  /** What this member holds and how far behind each partition was at its last fetch. */
  state(): {
    assigned: string[];
    paused: boolean;
    bufferedRecords: number;
    assignments: number;
    deadLetters: number;
    fetchLag: FetchLag[];
  } {
    return {
      assigned: [...this.assigned].sort(),
      paused: this.paused,
      bufferedRecords: this.buffered,
      assignments: this.assignments,
      deadLetters: this.deadLetters,
      fetchLag: [...this.fetchLag.values()],
    };
  }

  // ConsumerListener -----------------------------------------------------------

  onAssignment(assignment: readonly TopicPartitions[], memberId: string | undefined): void {
    this.assignments++;
    this.memberId = memberId;
    const keys = assignment.flatMap(({ topic, partitions }) =>
      partitions.map((partition) => partitionKey(topic, partition)),
    );
    this.assigned = new Set(keys);
    this.positioned = new Set();
    this.committedAtJoin = undefined;
    const dropped = this.queue.length;
    this.queue = [];
    this.buffered = 0;
    for (const key of this.fetchLag.keys()) if (!this.assigned.has(key)) this.fetchLag.delete(key);
    if (this.closing) this.pauseAll();
    else if (this.paused) this.setPaused(false);
    this.options.logger.info("partitions assigned", {
      groupId: this.options.groupId,
      assignments: this.assignments,
      partitions: keys,
      droppedBatches: dropped,
    });
    this.options.onAssigned(keys, memberId);
    this.options.committer.attach(this);
  }

  onCrash(error: Error): void {
    if (this.failure) return;
    // Retryable unless Kafka refuses for good (authorization, a bad request): a broker
    // outage, a coordinator move or a dead-letter send that failed for now pass.
    this.failure = kafkaFailure(error, `consumer of group ${this.options.groupId} stopped`, {
      groupId: this.options.groupId,
    });
    this.options.committer.detach(this);
    this.options.onCrashed(this.memberId);
    this.wake?.();
  }

  async onBatch(batch: ConsumedBatch): Promise<boolean> {
    if (this.closing) return false;
    const assignment = this.assignments;
    const { topic, partition } = batch;
    const key = partitionKey(topic, partition);
    if (!this.positioned.has(key)) {
      const start = await this.startPosition(topic, partition);
      if (assignment !== this.assignments || this.closing) return false;
      this.positioned.add(key);
      // Forward only: a consumer that joined before the committer caught up on commits made for
      // its partitions (see OffsetCommitter.attach) stands behind them, never ahead.
      if (start !== undefined && BigInt(start) > BigInt(batch.fetchedOffset)) {
        this.options.logger.info("moving partition to its start position", {
          topic,
          partition,
          from: batch.fetchedOffset,
          to: start,
        });
        this.options.consumer.seek(topic, partition, start);
        return false;
      }
    }
    // Decoded when the pipeline takes it (next), not here: kafkajs fetches again only once
    // this returns, so the broker prepares the next fetch while the pipeline decodes this one.
    const nextOffset = (BigInt(batch.lastOffset) + 1n).toString();
    const weight = Math.max(1, batch.messages.length);
    this.queue.push({
      consumed: batch,
      kind: this.kinds.get(topic) as RecordKind,
      assignment,
      nextOffset,
      weight,
    });
    this.buffered += weight;
    this.fetchLag.set(key, {
      topic,
      partition,
      highWatermark: batch.highWatermark,
      position: nextOffset,
      lag: Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(nextOffset))),
    });
    if (!this.paused && this.buffered >= this.options.maxBufferedRecords) this.setPaused(true);
    this.wake?.();
    return true;
  }

  /**
   * Decodes and validates a fetched batch; refused messages are stored in the dead-letter
   * topic before the batch is handed on (so before it can be committed: a crash re-reads and
   * re-refuses them, never loses them).
   */
  private async decode(item: QueuedBatch): Promise<Omit<SourceBatch, "checkpoint">> {
    const { topic, partition, messages, lastOffset, fetchedOffset } = item.consumed;
    const records: MarketRecord[] = [];
    const refused: OutgoingMessage[] = [];
    let failedAt: string | undefined;
    for (const message of messages) {
      const decoded = decodeMessage(item.kind, topic, message);
      if (decoded.ok) records.push(decoded.record);
      else {
        failedAt ??= new Date().toISOString();
        refused.push(
          deadLetterMessage(
            message,
            { topic, partition, sourceId: this.options.sourceId },
            decoded.rejection,
            failedAt,
          ),
        );
      }
    }
    if (refused.length > 0) {
      const { bounded } = await this.options.sendDeadLetters(refused);
      this.deadLetters += refused.length;
      this.options.logger.warn("refused messages sent to the dead-letter topic", {
        topic,
        partition,
        count: refused.length,
        ...(bounded > 0 ? { boundedCopies: bounded } : {}),
        first: refused[0]?.headers["qicore-dead-letter-message"],
      });
    }
    return {
      kind: item.kind,
      records,
      origin: { topic, partition, firstOffset: messages[0]?.offset ?? fetchedOffset, lastOffset },
    };
  }

  // ---------------------------------------------------------------------------

  /**
   * Where a partition should start after an assignment: past what the pipeline has taken
   * (those batches are being written and will be committed), never behind the group's
   * committed offset, and for a partition the group never committed, at the start time.
   */
  private async startPosition(topic: string, partition: number): Promise<string | undefined> {
    const fromCheckpoint = this.positions.get(partitionKey(topic, partition));
    const byTime = this.options.startFrom.at === "timestamp";
    if (fromCheckpoint === undefined && !byTime) return undefined;
    this.committedAtJoin ??= this.options.admin
      .committedOffsets(this.options.groupId, this.topicNames)
      .then(
        (offsets) =>
          new Map(offsets.map((entry) => [partitionKey(entry.topic, entry.partition), entry.offset])),
      )
      .catch((thrown) => {
        this.committedAtJoin = undefined;
        throw thrown;
      });
    const committed = BigInt((await this.committedAtJoin).get(partitionKey(topic, partition)) ?? "-1");
    if (fromCheckpoint !== undefined)
      return (BigInt(fromCheckpoint) > committed ? BigInt(fromCheckpoint) : committed).toString();
    if (committed < 0n && this.options.startFrom.at === "timestamp") {
      const { timestampMs } = this.options.startFrom;
      let offsets = this.timeOffsets.get(topic);
      if (!offsets) {
        offsets = this.options.admin
          .offsetsAtTime(topic, timestampMs)
          .then((list) => new Map(list.map((entry) => [entry.partition, entry.offset])))
          .catch((thrown) => {
            this.timeOffsets.delete(topic);
            throw thrown;
          });
        this.timeOffsets.set(topic, offsets);
      }
      return (await offsets).get(partition);
    }
    return undefined;
  }

  private setPaused(paused: boolean): void {
    this.paused = paused;
    // A no-op on a crashed consumer; its replacement starts unpaused with an empty queue.
    if (paused) this.options.consumer.pause(this.topicNames);
    else this.options.consumer.resume(this.topicNames);
    this.options.logger.debug(paused ? "paused: the pipeline is behind" : "resumed", {
      bufferedRecords: this.buffered,
    });
  }

  private pauseAll(): void {
    try {
      this.options.consumer.pause(this.topicNames);
    } catch {
      // Not running (yet or any more): nothing to pause.
    }
  }
}
