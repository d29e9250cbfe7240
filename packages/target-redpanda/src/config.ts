import { RECORD_KIND_DEFINITIONS, RECORD_KINDS, type RecordKind } from "@qicore/core/adapter";
import { connectionFields } from "@qicore/kafka-common";
import { z } from "zod";

// Kafka's own rule for topic names (kafka.common.internals.Topic).
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export const topicName = z
  .string()
  .regex(TOPIC_NAME, "a Kafka topic name: letters, digits, '.', '_' and '-', at most 249 characters");

const kindSchema = z.enum(RECORD_KINDS);

/** One optional topic name per record kind the core knows. */
const topicPerKind = Object.fromEntries(RECORD_KINDS.map((kind) => [kind, topicName])) as {
  [K in RecordKind]: typeof topicName;
};

const defaultTopicNames = RECORD_KINDS.map((kind) => RECORD_KIND_DEFINITIONS[kind].topic.name).join(", ");

/** The target's `config` block in a pipeline file. */
export const redpandaTargetConfigSchema = z
  .object({
    ...connectionFields,
    topics: z
      .object(topicPerKind)
      .partial()
      .strict()
      .default({})
      .describe(
        `Topic of each record kind; unnamed kinds use the core's defaults (${defaultTopicNames}) after topicPrefix.`,
      ),
    topicPrefix: z
      .string()
      .regex(/^[a-zA-Z0-9._-]{0,200}$/, "letters, digits, '.', '_' and '-'")
      .default("")
      .describe("Put before the default topic names, e.g. `dev.` gives `dev.crypto-prices`."),
    exchangeTopics: z
      .array(kindSchema)
      .default([])
      .describe(
        "Kinds routed to one topic per exchange: a price of exchange `binance` goes to `<topic>.binance` (created like the kind's topic).",
      ),
    createTopics: z
      .boolean()
      .default(true)
      .describe(
        "Create missing topics from the core's topic configs (partitions, retention, compression, cleanup policy).",
      ),
    checkTopics: z
      .boolean()
      .default(true)
      .describe("Compare existing topics with the core's topic configs and warn once about any drift."),
    partitions: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("Partitions of new topics instead of each kind's default (12, 24, 6)."),
    replicationFactor: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        "Replication factor of new topics; by default each kind's (3), capped at the number of brokers.",
      ),
    library: z
      .enum(["platformatic", "kafkajs"])
      .default("platformatic")
      .describe(
        "Kafka library that produces: @platformatic/kafka (faster record encoding; zstd needs Node 22.15+, else kafkajs produces zstd) or kafkajs 2.2.4. Topic administration uses kafkajs either way.",
      ),
    acks: z
      .union([z.literal(-1), z.literal(0), z.literal(1), z.literal("all")])
      .transform((value) => (value === "all" ? -1 : value))
      .default(-1)
      .describe("Acknowledgements to wait for: -1 or all (every in-sync replica), 1 (leader), 0 (none)."),
    idempotent: z
      .boolean()
      .default(true)
      .describe(
        "Idempotent producer: retries never duplicate or reorder messages in a partition (needs acks -1).",
      ),
    compression: z
      .enum(["none", "gzip", "snappy", "lz4", "zstd"])
      .default("lz4")
      .describe(
        "Codec of produced batches; lz4 matches the topics' compression.type, so brokers store them as sent.",
      ),
    lingerMs: z
      .number()
      .int()
      .min(0)
      .max(60_000)
      .default(0)
      .describe(
        "Wait up to this long for more messages before sending a request. 0: send at once when no request is in flight, otherwise gather until it completes (batches grow with the load).",
      ),
    batchMessages: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe("Most messages in one produce request."),
    batchBytes: z
      .number()
      .int()
      .positive()
      .default(4 * 1024 * 1024)
      .describe("Most bytes (keys and values, before compression) in one produce request."),
    maxMessageBytes: z
      .number()
      .int()
      .positive()
      .default(1_000_000)
      .describe(
        "A record whose JSON is larger is refused (dead-lettered by the pipeline) instead of failing its batch; keep it below the brokers' message.max.bytes.",
      ),
    ackTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(30_000)
      .describe("How long brokers may wait for the replicas' acknowledgements."),
    deadLetterTopic: topicName
      .optional()
      .describe(
        "Topic that writeDeadLetters sends to, created when missing; `<topicPrefix>crypto-dead-letters` by default.",
      ),
  })
  .strict()
  .superRefine((config, context) => {
    if (config.exchangeTopics.includes("analytics")) {
      context.addIssue({
        code: "custom",
        path: ["exchangeTopics"],
        message: "analytics records have no exchange; route only price and ohlcv per exchange",
      });
    }
    if (config.idempotent && config.acks !== -1) {
      context.addIssue({
        code: "custom",
        path: ["acks"],
        message: "an idempotent producer needs acks -1 (all); set idempotent: false for acks 0 or 1",
      });
    }
  });

export type RedpandaTargetConfig = z.output<typeof redpandaTargetConfigSchema>;
export type RedpandaTargetConfigInput = z.input<typeof redpandaTargetConfigSchema>;

/** Name of the dead-letter topic when config names none (after topicPrefix). */
export const DEFAULT_DEAD_LETTER_TOPIC = "crypto-dead-letters";
