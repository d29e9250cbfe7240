import type { Logger } from "@qicore/core/adapter";

/** Where one partition's group stands, as the brokers answer. */
export interface PartitionStanding {
  topic: string;
  partition: number;
  /** The next offset to process: the group's committed offset (the log start where none). */
  offset: string;
  /** Messages past it. */
  lag: number;
}

/** A partition with messages to read that has made no progress for `stallTimeoutMs` or longer. */
export interface StalledPartition extends PartitionStanding {
  /** Since when its offset has not moved (epoch ms). */
  since: number;
  seconds: number;
}

interface Seen {
  offset: string;
  since: number;
  reported: boolean;
}

/**
 * Notices partitions that stopped moving: messages wait in them, yet the group's offset has
 * not moved for `timeoutMs` (a poison message the source cannot get rid of, a consumer that
 * keeps dying, a target that refuses to take anything). Each such partition is logged once,
 * naming topic, partition and offset, when it stalls and again when it moves; `stalled`
 * lists them for readiness.
 */
export class StallWatch {
  private readonly seen = new Map<string, Seen>();
  private current: StalledPartition[] = [];

  constructor(
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    private readonly groupId: string,
  ) {}

  /** Takes one look at the partitions this member holds (the others are the other members' to watch). */
  observe(standings: readonly PartitionStanding[], now = Date.now()): StalledPartition[] {
    const stalled: StalledPartition[] = [];
    const keys = new Set<string>();
    for (const standing of standings) {
      const key = `${standing.topic}:${standing.partition}`;
      keys.add(key);
      const seen = this.seen.get(key);
      if (!seen || seen.offset !== standing.offset || standing.lag <= 0) {
        if (seen?.reported)
          this.logger.info("partition is moving again", {
            groupId: this.groupId,
            topic: standing.topic,
            partition: standing.partition,
            offset: standing.offset,
            stalledSeconds: Math.round((now - seen.since) / 1000),
          });
        this.seen.set(key, { offset: standing.offset, since: now, reported: false });
        continue;
      }
      if (now - seen.since < this.timeoutMs) continue;
      const seconds = Math.round((now - seen.since) / 1000);
      stalled.push({ ...standing, since: seen.since, seconds });
      if (!seen.reported) {
        seen.reported = true;
        this.logger.warn(
          `partition ${standing.topic}/${standing.partition} has made no progress for ${seconds} s at offset ${standing.offset} (${standing.lag} messages waiting)`,
          {
            groupId: this.groupId,
            topic: standing.topic,
            partition: standing.partition,
            offset: standing.offset,
            lag: standing.lag,
            seconds,
          },
        );
      }
    }
    for (const key of [...this.seen.keys()]) if (!keys.has(key)) this.seen.delete(key);
    this.current = stalled;
    return stalled;
  }

  /** The partitions found stalled at the last look. */
  get stalled(): readonly StalledPartition[] {
    return this.current;
  }
}
