import {
  ADAPTER_CONTRACT_VERSION,
  type Checkpoint,
  defineSource,
  type HealthStatus,
  type Logger,
  QiError,
  RECORD_KINDS,
  type ReadOptions,
  type RecordKind,
  type SourceBatch,
  type SourceHandlers,
  silentLogger,
} from "@qicore/core";
import { parseKafkaOptions, withInjectedBrokers } from "@qicore/target-redpanda/kafka";
import type { Kafka } from "kafkajs";
import type { z } from "zod";
import { createKafkajsClient } from "./client/kafkajs";
import type { KafkaAdmin, KafkaClient, KafkaProducer, OutgoingMessage } from "./client/types";
import {
  deadLetterTopicOf,
  type RedpandaSourceConfig,
  type RedpandaSourceConfigInput,
  redpandaSourceConfigSchema,
  resolveTopics,
} from "./config";
import { ADAPTER_NAME, kafkaFailure } from "./errors";
import { checkpointOffsets } from "./offsets";
import { ConsumerStream, type FetchLag } from "./stream";

const DEAD_LETTER_RETENTION_MS = 30 * 86_400_000;

/** Options of `createRedpandaSource`: the config block, plus what only code can pass. */
export interface RedpandaSourceOptions extends Partial<RedpandaSourceConfigInput> {
  /** A kafkajs client you configured yourself; its brokers, TLS and SASL are used instead of the config's. */
  kafka?: Kafka;
  /** Another implementation of the client seam. */
  client?: KafkaClient;
  logger?: Logger;
  /** Names this source in dead-letter headers; `embedded` by default. */
  sourceId?: string;
}

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

/** The source as code sees it: the pipeline handlers plus lag and state. */
export interface RedpandaSource extends SourceHandlers {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  healthCheck(): Promise<HealthStatus>;
  read(options: ReadOptions): AsyncIterable<SourceBatch>;
  commit(checkpoint: Checkpoint): Promise<void>;
  /** The group's lag per partition (log end minus committed offset), asked of the brokers now. */
  lag(): Promise<{ groupId: string; total: number; partitions: PartitionLag[] }>;
  /** What the current consumer holds: assigned partitions, paused, buffered records, lag at the last fetch. */
  state(): ReturnType<ConsumerStream["state"]> | undefined;
  readonly groupId: string;
  readonly config: RedpandaSourceConfig;
}

/** Parses options into a config, throwing a CONFIG_INVALID QiError that lists every problem. */
export function parseRedpandaSourceConfig(options: unknown): RedpandaSourceConfig {
  return parseKafkaOptions(redpandaSourceConfigSchema, options, ADAPTER_NAME);
}

/**
 * A Kafka / Redpanda source for embedding: `read()` yields validated batches with a
 * checkpoint each; `commit(checkpoint)` commits the group's offsets once they are written.
 *
 *     const source = createRedpandaSource({ brokers: "localhost:9092", groupId: "prices-to-db" });
 *     for await (const batch of source.read({ signal })) { await store(batch); await source.commit(batch.checkpoint); }
 */
export function createRedpandaSource(options: RedpandaSourceOptions = {}): RedpandaSource {
  const { kafka, client, logger, sourceId, ...raw } = options;
  const config = parseRedpandaSourceConfig(withInjectedBrokers(raw, Boolean(kafka || client)));
  const log = logger ?? silentLogger;
  return buildSource(
    config,
    client ?? createKafkajsClient(config, log, kafka),
    log,
    sourceId ?? "embedded",
    config.groupId ?? "qicore.embedded",
  );
}

interface Connection {
  admin: KafkaAdmin;
  topics: { topic: string; kind: RecordKind }[];
}

function buildSource(
  config: RedpandaSourceConfig,
  client: KafkaClient,
  logger: Logger,
  sourceId: string,
  groupId: string,
): RedpandaSource {
  const deadLetterTopic = deadLetterTopicOf(config);
  let opening: Promise<Connection> | undefined;
  let producer: Promise<KafkaProducer> | undefined;
  let stream: ConsumerStream | undefined;
  let streamConsumer: { disconnect(): Promise<void> } | undefined;

  const open = (): Promise<Connection> => {
    opening ??= (async () => {
      const admin = client.admin();
      try {
        await admin.connect();
        const existing = new Set(await admin.listTopics());
        const { topics: wanted, explicit } = resolveTopics(config);
        const missing = wanted.filter(({ topic }) => !existing.has(topic));
        const topics = wanted.filter(({ topic }) => existing.has(topic));
        if ((explicit && missing.length > 0) || topics.length === 0) {
          throw new QiError({
            code: "TOPIC_MISSING",
            message: `${ADAPTER_NAME}: topic(s) ${missing.map(({ topic }) => topic).join(", ")} do not exist; create them (a redpanda target creates its topics) or name existing ones in topics`,
            category: "BUSINESS",
            retryable: false,
            context: { topics: missing.map(({ topic }) => topic) },
          });
        }
        if (missing.length > 0)
          logger.warn("default topics that do not exist are not read", {
            missing: missing.map(({ topic }) => topic),
          });
        if (config.createDeadLetterTopic && !existing.has(deadLetterTopic)) {
          const brokers = await admin.brokerCount();
          await admin.createTopic({
            topic: deadLetterTopic,
            numPartitions: 3,
            replicationFactor: Math.min(3, brokers),
            configEntries: [
              { name: "retention.ms", value: String(DEAD_LETTER_RETENTION_MS) },
              { name: "compression.type", value: "producer" },
              { name: "cleanup.policy", value: "delete" },
            ],
          });
        }
        return { admin, topics };
      } catch (thrown) {
        await admin.disconnect().catch(() => undefined);
        throw kafkaFailure(thrown, `could not connect to ${config.brokers.join(",")}`, {
          brokers: config.brokers,
        });
      }
    })().catch((thrown) => {
      opening = undefined;
      throw thrown;
    });
    return opening;
  };

  const sendDeadLetters = async (messages: readonly OutgoingMessage[]) => {
    producer ??= (async () => {
      const created = client.producer();
      await created.connect();
      return created;
    })().catch((thrown) => {
      producer = undefined;
      throw thrown;
    });
    try {
      await (await producer).send(deadLetterTopic, messages);
    } catch (thrown) {
      throw kafkaFailure(thrown, `could not send ${messages.length} refused messages to ${deadLetterTopic}`, {
        topic: deadLetterTopic,
      });
    }
  };

  /** Ends the previous read's consumer (it stayed in the group for the commits of its last batches). */
  const endStream = async () => {
    const consumer = streamConsumer;
    stream?.close();
    stream = undefined;
    streamConsumer = undefined;
    await consumer
      ?.disconnect()
      .catch((thrown) => logger.warn("consumer disconnect failed", { error: String(thrown) }));
  };

  const lag = async () => {
    const { admin, topics } = await open();
    const names = topics.map(({ topic }) => topic);
    const committed = await admin.committedOffsets(groupId, names);
    const partitions: PartitionLag[] = [];
    for (const topic of names) {
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
  };

  const source: RedpandaSource = {
    config,
    groupId,

    async connect() {
      await open();
    },

    async disconnect() {
      await endStream();
      const current = opening;
      opening = undefined;
      const connection = await current?.catch(() => undefined);
      const dlq = producer;
      producer = undefined;
      await (await dlq?.catch(() => undefined))?.disconnect().catch(() => undefined);
      await connection?.admin.disconnect().catch(() => undefined);
    },

    async healthCheck() {
      const started = performance.now();
      try {
        const connection = await open();
        const brokers = await connection.admin.brokerCount();
        const groupLag = await lag();
        const state = stream?.state();
        return {
          status: "healthy",
          latencyMs: performance.now() - started,
          details: {
            brokers,
            groupId,
            topics: connection.topics.map(({ topic }) => topic),
            lag: Object.fromEntries(
              groupLag.partitions.map((entry) => [`${entry.topic}/${entry.partition}`, entry.lag]),
            ),
            totalLag: groupLag.total,
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
      } catch (thrown) {
        return { status: "unhealthy", message: thrown instanceof Error ? thrown.message : String(thrown) };
      }
    },

    async *read(options) {
      const connection = await open();
      await endStream();
      const consumer = client.consumer({
        groupId,
        sessionTimeoutMs: config.sessionTimeoutMs,
        rebalanceTimeoutMs: config.rebalanceTimeoutMs,
        heartbeatIntervalMs: config.heartbeatIntervalMs,
        maxBytesPerPartition: config.maxBytesPerPartition,
        maxBytes: config.maxBytes,
        maxWaitTimeMs: config.maxWaitTimeMs,
        partitionsConsumedConcurrently: config.partitionsConsumedConcurrently,
      });
      const checkpoint = options.checkpoint === undefined ? undefined : checkpointOffsets(options.checkpoint);
      if (options.checkpoint !== undefined && checkpoint === undefined)
        logger.warn("the checkpoint is not a Kafka offset map; starting from the group's offsets", {
          checkpoint: options.checkpoint,
        });
      const current = new ConsumerStream({
        consumer,
        admin: connection.admin,
        groupId,
        sourceId,
        topics: connection.topics,
        startFrom: config.startFrom,
        checkpoint,
        maxBufferedRecords: config.maxBufferedRecords,
        sendDeadLetters,
        logger,
      });
      stream = current;
      streamConsumer = consumer;
      try {
        await current.start();
      } catch (thrown) {
        await endStream();
        throw kafkaFailure(thrown, `could not join consumer group ${groupId}`, { groupId });
      }
      try {
        for (;;) {
          const batch = await current.next(options.signal);
          if (!batch) return;
          yield batch;
        }
      } finally {
        // Stop fetching but stay in the group: the pipeline commits the batches it still writes.
        current.close();
      }
    },

    async commit(checkpoint) {
      const offsets = checkpointOffsets(checkpoint);
      if (!offsets)
        throw new QiError({
          code: "VALIDATION_FAILED",
          message: `${ADAPTER_NAME}: commit got a checkpoint that is not a Kafka offset map`,
          category: "VALIDATION",
          retryable: false,
          context: { checkpoint },
        });
      if (!stream) return;
      await stream.commit(offsets);
    },

    lag,
    state: () => stream?.state(),
  };
  return source;
}

/**
 * The `redpanda` source of pipeline files: a consumer group over the record topics,
 * validated records out, refused messages to a dead-letter topic, offsets committed only
 * after the pipeline wrote a batch.
 */
export const redpandaSource = defineSource<RedpandaSourceConfig>({
  name: "redpanda",
  description:
    "Redpanda / Apache Kafka consumer group: decodes and validates every message, dead-letters the bad ones to a topic, commits offsets only after the pipeline wrote a batch, pauses on backpressure.",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema: redpandaSourceConfigSchema as unknown as z.ZodType<RedpandaSourceConfig>,
  capabilities: { kinds: RECORD_KINDS, replay: true, ack: true, trusted: true },
  create(config, context) {
    const logger = context.logger.child({ source: context.id });
    return buildSource(
      config,
      createKafkajsClient(config, logger),
      logger,
      context.id,
      config.groupId ?? `qicore.${context.pipelineName}.${context.id}`,
    );
  },
});
