import type { Logger } from "@qicore/core/adapter";
import type { PartitionOffset } from "./client/types";
import { kafkaErrorType, kafkaFailure } from "./errors";
import { partitionKey } from "./offsets";

/** Kafka answers these to a commit while the group rebalances; the commit is tried again after it. */
const REBALANCE_ERRORS = new Set([
  "REBALANCE_IN_PROGRESS",
  "ILLEGAL_GENERATION",
  "UNKNOWN_MEMBER_ID",
  "NOT_COORDINATOR",
  "COORDINATOR_NOT_AVAILABLE",
  "COORDINATOR_LOAD_IN_PROGRESS",
]);
const REBALANCE_ATTEMPTS = 40;
const REBALANCE_WAIT_MS = 250;
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 10_000;

/** The consumer-group member that commits go through while it lives. */
export interface CommitMember {
  /** Whether the member holds the partition (`topic:partition`) now and can commit it. */
  holds(key: string): boolean;
  commit(offsets: readonly PartitionOffset[]): Promise<void>;
}

export interface CommitterOptions {
  groupId: string;
  /** The group's committed offsets of the source's topics, asked of the brokers. */
  fetchCommitted: () => Promise<PartitionOffset[]>;
  logger: Logger;
}

/**
 * The source's commits, kept across consumers. The pipeline acknowledges offsets once its
 * targets have written everything before them; those are the only offsets ever committed.
 *
 * An acknowledgement that cannot be committed now (the consumer died in an outage, the group
 * is between members, the coordinator is away) is kept, not lost: it is committed by the
 * next member that holds the partition, when it joins, and meanwhile tried again every few
 * seconds. Before committing what another member may have moved since, the group's own
 * committed offsets are read, so an older acknowledgement never moves a partition back.
 */
export class OffsetCommitter {
  private readonly acknowledged = new Map<string, PartitionOffset>();
  private readonly committed = new Map<string, bigint>();
  private member: CommitMember | undefined;
  /** A new member holds partitions: read the group's offsets before committing what it inherits. */
  private refresh = false;
  private chain: Promise<void> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs = RETRY_FIRST_MS;
  private closed = false;

  constructor(private readonly options: CommitterOptions) {}

  /** Offsets the pipeline's targets have written up to: committed now where a member can, else kept. */
  acknowledge(offsets: readonly PartitionOffset[]): Promise<void> {
    for (const entry of offsets) {
      const key = partitionKey(entry.topic, entry.partition);
      const known = this.acknowledged.get(key);
      if (!known || BigInt(entry.offset) > BigInt(known.offset)) this.acknowledged.set(key, entry);
    }
    return this.flush();
  }

  /** A member got its partitions: commits what was acknowledged for them and not committed yet. */
  attach(member: CommitMember): void {
    this.member = member;
    this.refresh = true;
    this.flush().catch(() => undefined);
  }

  detach(member: CommitMember): void {
    if (this.member === member) this.member = undefined;
  }

  /** Partitions acknowledged past what is committed. */
  get pending(): number {
    let count = 0;
    for (const [key, entry] of this.acknowledged)
      if (BigInt(entry.offset) > (this.committed.get(key) ?? -1n)) count++;
    return count;
  }

  /** One last try (a graceful stop), then no more retries. */
  async close(): Promise<void> {
    await this.flush().catch((thrown) =>
      this.options.logger.warn("the last commit failed; what it held is read again by the next member", {
        groupId: this.options.groupId,
        error: thrown instanceof Error ? thrown.message : String(thrown),
      }),
    );
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  /** Commits, one at a time (a later commit must not land before an earlier one). */
  flush(): Promise<void> {
    const run = this.chain.then(() => this.commitEligible());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private eligible(): PartitionOffset[] {
    const member = this.member;
    if (!member) return [];
    return [...this.acknowledged.entries()]
      .filter(([key, entry]) => member.holds(key) && BigInt(entry.offset) > (this.committed.get(key) ?? -1n))
      .map(([, entry]) => entry);
  }

  private async commitEligible(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const member = this.member;
      let offsets = this.eligible();
      if (!member || offsets.length === 0) return;
      try {
        if (this.refresh) {
          for (const entry of await this.options.fetchCommitted()) {
            const offset = BigInt(entry.offset);
            if (offset >= 0n) this.committed.set(partitionKey(entry.topic, entry.partition), offset);
          }
          this.refresh = false;
          offsets = this.eligible();
          if (offsets.length === 0) return;
        }
        await member.commit(offsets);
        for (const { topic, partition, offset } of offsets)
          this.committed.set(partitionKey(topic, partition), BigInt(offset));
        this.retryDelayMs = RETRY_FIRST_MS;
        return;
      } catch (thrown) {
        const type = kafkaErrorType(thrown);
        // A rebalance settles within seconds: wait it out here, so a commit right after one lands.
        if (type && REBALANCE_ERRORS.has(type) && attempt < REBALANCE_ATTEMPTS) {
          await new Promise((resolve) => setTimeout(resolve, REBALANCE_WAIT_MS));
          continue;
        }
        this.scheduleRetry();
        throw kafkaFailure(thrown, `could not commit offsets of group ${this.options.groupId}`, {
          groupId: this.options.groupId,
          offsets,
          note: "kept: committed when the group answers again",
        });
      }
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(RETRY_MAX_MS, this.retryDelayMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.closed && this.pending > 0) this.flush().catch(() => undefined);
    }, delay);
    this.retryTimer.unref?.();
  }
}
