import type { HealthStatus } from "@qicore/core/adapter";
import type { GroupLag } from "./group-lag";
import type { StalledPartition } from "./stall-watch";
import type { ConsumerStream, FetchLag } from "./stream";

export interface HealthParts {
  brokers: number;
  groupId: string;
  topics: readonly string[];
  lag: GroupLag;
  stalled: readonly StalledPartition[];
  stream: ConsumerStream | undefined;
  pendingCommits: number;
  deadLetterMaxBytes: number;
}

/** One stalled partition in words, as the log and the health check say it. */
export function describeStall(entry: StalledPartition): string {
  return `partition ${entry.topic}/${entry.partition} has made no progress for ${entry.seconds} s at offset ${entry.offset} (${entry.lag} messages waiting)`;
}

/** The source's health: degraded while a partition it holds is stalled, with what its member holds. */
export function sourceHealth(parts: HealthParts, latencyMs: number): HealthStatus {
  const { stalled, stream } = parts;
  const state = stream?.state();
  return {
    status: stalled.length > 0 ? "degraded" : "healthy",
    latencyMs,
    ...(stalled.length > 0 ? { message: stalled.map(describeStall).join("; ") } : {}),
    details: {
      brokers: parts.brokers,
      groupId: parts.groupId,
      topics: parts.topics,
      lag: Object.fromEntries(
        parts.lag.partitions.map((entry) => [`${entry.topic}/${entry.partition}`, entry.lag]),
      ),
      totalLag: parts.lag.total,
      stalledPartitions: stalled.length,
      stalled: stalled.map(({ topic, partition, offset, lag, seconds }) => ({
        partition: `${topic}/${partition}`,
        offset,
        lag,
        seconds,
      })),
      consumer: !stream ? "none" : stream.crashed ? "stopped" : "running",
      pendingCommits: parts.pendingCommits,
      deadLetterMaxBytes: parts.deadLetterMaxBytes,
      ...(state
        ? {
            assigned: state.assigned,
            paused: state.paused,
            bufferedRecords: state.bufferedRecords,
            deadLetters: state.deadLetters,
            fetchLag: Object.fromEntries(
              state.fetchLag.map((entry: FetchLag) => [`${entry.topic}/${entry.partition}`, entry.lag]),
            ),
          }
        : {}),
    },
  };
}
