import type { KafkaAdmin } from "./client/types";

/** Lag of one partition of the group: how many messages the log holds past the committed offset. */
export interface PartitionLag {
  topic: string;
  partition: number;
  /** Committed offset of the group (`-1` when none). */
  committed: string;
  /** Log end offset. */
  end: string;
  lag: number;
}

export interface GroupLag {
  groupId: string;
  total: number;
  partitions: PartitionLag[];
}

/** The group's lag per partition of `topics`, asked of the brokers now (a partition never committed counts from its log start). */
export async function groupLag(
  admin: KafkaAdmin,
  groupId: string,
  topics: readonly string[],
): Promise<GroupLag> {
  const committed = await admin.committedOffsets(groupId, topics);
  const partitions: PartitionLag[] = [];
  for (const topic of topics) {
    for (const ends of await admin.partitionEnds(topic)) {
      const offset =
        committed.find((entry) => entry.topic === topic && entry.partition === ends.partition)?.offset ??
        "-1";
      const from = BigInt(offset) >= 0n ? BigInt(offset) : BigInt(ends.low);
      partitions.push({
        topic,
        partition: ends.partition,
        committed: offset,
        end: ends.high,
        lag: Math.max(0, Number(BigInt(ends.high) - from)),
      });
    }
  }
  return { groupId, total: partitions.reduce((sum, entry) => sum + entry.lag, 0), partitions };
}

/** Where the group stands in a partition: the offset it will process next (committed, or the log start). */
export function nextOffsetOf(entry: PartitionLag): string {
  return (BigInt(entry.end) - BigInt(entry.lag)).toString();
}
