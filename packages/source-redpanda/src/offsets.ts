import type { PartitionOffset } from "./client/types";

/**
 * The source's checkpoint, as the runtime stores it: per topic and partition, the offset
 * of the next message to read once the batch that carries it (and every batch before it)
 * is written. It is what `commit` sends to the consumer group.
 */
export interface KafkaCheckpoint {
  offsets: Record<string, Record<string, string>>;
}

/** `topic:partition` (Kafka topic names cannot hold a colon). */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/**
 * Next offsets by partition key, built up as batches are handed to the pipeline, starting
 * from the checkpoint `read` was given: so a checkpoint covers every partition read since
 * the run began, not only those the current consumer has read.
 */
export class Positions {
  private readonly next = new Map<string, PartitionOffset>();

  constructor(start: readonly PartitionOffset[] = []) {
    for (const { topic, partition, offset } of start) this.set(topic, partition, offset);
  }

  set(topic: string, partition: number, offset: string): void {
    this.next.set(partitionKey(topic, partition), { topic, partition, offset });
  }

  /** The next offset after what was handed out of the partition, if anything was. */
  get(key: string): string | undefined {
    return this.next.get(key)?.offset;
  }

  /** A JSON copy: later batches must not change the checkpoint of an earlier one. */
  checkpoint(): KafkaCheckpoint {
    const offsets: Record<string, Record<string, string>> = {};
    for (const { topic, partition, offset } of this.next.values()) {
      const byPartition = offsets[topic] ?? {};
      byPartition[String(partition)] = offset;
      offsets[topic] = byPartition;
    }
    return { offsets };
  }
}

/** The offsets of a checkpoint, or undefined when it is not one of this source's. */
export function checkpointOffsets(checkpoint: unknown): PartitionOffset[] | undefined {
  if (!checkpoint || typeof checkpoint !== "object") return undefined;
  const offsets = (checkpoint as { offsets?: unknown }).offsets;
  if (!offsets || typeof offsets !== "object") return undefined;
  const list: PartitionOffset[] = [];
  for (const [topic, byPartition] of Object.entries(offsets as Record<string, unknown>)) {
    if (!byPartition || typeof byPartition !== "object") return undefined;
    for (const [partition, offset] of Object.entries(byPartition as Record<string, unknown>)) {
      if (!/^\d+$/.test(partition) || typeof offset !== "string" || !/^\d+$/.test(offset)) return undefined;
      list.push({ topic, partition: Number(partition), offset });
    }
  }
  return list;
}
