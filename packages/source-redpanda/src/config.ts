import { RECORD_KIND_DEFINITIONS, RECORD_KINDS, type RecordKind } from "@qicore/core/adapter";
import { connectionFields } from "@qicore/kafka-common";
import { z } from "zod";

// Kafka's own rule for topic names (kafka.common.internals.Topic).
const topicName = z
  .string()
  .regex(
    /^[a-zA-Z0-9._-]{1,249}$/,
    "a Kafka topic name: letters, digits, '.', '_' and '-', at most 249 characters",
  );

const topicList = z
  .union([topicName, z.array(topicName).min(1)])
  .transform((value) => (Array.isArray(value) ? value : [value]));

/** One optional topic list per record kind the core knows. */
const topicsPerKind = Object.fromEntries(RECORD_KINDS.map((kind) => [kind, topicList])) as {
  [K in RecordKind]: typeof topicList;
};

const defaultTopicNames = RECORD_KINDS.map((kind) => RECORD_KIND_DEFINITIONS[kind].topic.name).join(", ");

const isoTime = z.iso.datetime({ offset: true });

/** Where partitions without a committed offset start. */
export type StartFrom = { at: "earliest" } | { at: "latest" } | { at: "timestamp"; timestampMs: number };

const startFromSchema = z
  .union([
    z.enum(["earliest", "latest"]),
    isoTime,
    z.object({ timestamp: z.union([isoTime, z.number().int().nonnegative()]) }).strict(),
  ])
  .transform((value): StartFrom => {
    if (value === "earliest" || value === "latest") return { at: value };
    const time = typeof value === "string" ? value : value.timestamp;
    return { at: "timestamp", timestampMs: typeof time === "number" ? time : Date.parse(time) };
  });

/** The source's `config` block in a pipeline file. */
export const redpandaSourceConfigSchema = z
  .object({
    ...connectionFields,
    groupId: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe(
        "Consumer group; processes with the same group split the partitions. Default `qicore.<pipeline>.<source id>`.",
      ),
    topics: z
      .object(topicsPerKind)
      .partial()
      .strict()
      .optional()
      .describe(
        `Topics to read per record kind (a name or a list). Default: the core's topics (${defaultTopicNames} after topicPrefix), those that exist.`,
      ),
    topicPrefix: z
      .string()
      .regex(/^[a-zA-Z0-9._-]{0,200}$/, "letters, digits, '.', '_' and '-'")
      .default("")
      .describe("Put before the default topic names, e.g. `dev.` reads `dev.crypto-prices`."),
    startFrom: startFromSchema
      .prefault("earliest")
      .describe(
        "Where partitions without a committed offset start: earliest, latest, or a time (ISO-8601, or { timestamp: <ISO or epoch ms> }).",
      ),
    deadLetterTopic: topicName
      .optional()
      .describe(
        "Topic for messages that cannot be decoded or validated (raw bytes plus reason headers). Default `<topicPrefix>crypto-dead-letters`.",
      ),
    createDeadLetterTopic: z
      .boolean()
      .default(true)
      .describe("Create the dead-letter topic when it is missing."),
    maxBufferedRecords: z
      .number()
      .int()
      .positive()
      .default(5_000)
      .describe(
        "Records read but not yet taken by the pipeline before the consumer pauses (it resumes at half). The pipeline's own queue (delivery.maxInFlightRecords) comes on top.",
      ),
    sessionTimeoutMs: z.number().int().positive().default(30_000).describe("Group session timeout."),
    rebalanceTimeoutMs: z.number().int().positive().default(60_000).describe("Group rebalance timeout."),
    heartbeatIntervalMs: z.number().int().positive().default(3000).describe("Heartbeat interval."),
    maxBytesPerPartition: z
      .number()
      .int()
      .positive()
      .default(262_144)
      .describe("Most bytes one fetch takes from a partition."),
    maxBytes: z
      .number()
      .int()
      .positive()
      .default(1_048_576)
      .describe("Most bytes one fetch takes (kafkajs decodes a whole fetch at once: this bounds memory)."),
    maxWaitTimeMs: z
      .number()
      .int()
      .positive()
      .default(500)
      .describe("How long a fetch waits for data when there is none."),
    partitionsConsumedConcurrently: z
      .number()
      .int()
      .positive()
      .default(1)
      .describe("Partitions whose batches are decoded at the same time."),
    stallTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(120_000)
      .describe(
        "A partition this member holds whose committed offset has not moved for this long while messages wait in it is reported as stalled: healthCheck is degraded naming topic, partition and offset, and a warning is logged.",
      ),
  })
  .strict()
  .superRefine((config, context) => {
    const seen = new Map<string, string>();
    for (const kind of RECORD_KINDS) {
      for (const topic of config.topics?.[kind] ?? []) {
        const other = seen.get(topic);
        if (other && other !== kind)
          context.addIssue({
            code: "custom",
            path: ["topics", kind],
            message: `topic ${topic} is listed for ${other} and ${kind}; a topic carries one kind of record`,
          });
        seen.set(topic, kind);
      }
    }
  });

export type RedpandaSourceConfig = z.output<typeof redpandaSourceConfigSchema>;
export type RedpandaSourceConfigInput = z.input<typeof redpandaSourceConfigSchema>;

export const DEFAULT_DEAD_LETTER_TOPIC = "crypto-dead-letters";

/** Topics to read with their kind; `explicit` when config named them (a missing one is then an error). */
export function resolveTopics(config: RedpandaSourceConfig): {
  topics: { topic: string; kind: RecordKind }[];
  explicit: boolean;
} {
  if (config.topics) {
    const topics = RECORD_KINDS.flatMap((kind) =>
      (config.topics?.[kind] ?? []).map((topic) => ({ topic, kind })),
    );
    return { topics, explicit: true };
  }
  return {
    topics: RECORD_KINDS.map((kind) => ({
      topic: `${config.topicPrefix}${RECORD_KIND_DEFINITIONS[kind].topic.name}`,
      kind,
    })),
    explicit: false,
  };
}

export function deadLetterTopicOf(config: RedpandaSourceConfig): string {
  return config.deadLetterTopic ?? `${config.topicPrefix}${DEFAULT_DEAD_LETTER_TOPIC}`;
}
