import {
  ADAPTER_CONTRACT_VERSION,
  type Checkpoint,
  defineSource,
  type HealthStatus,
  type Logger,
  qiError,
  RECORD_KINDS,
  type ReadOptions,
  type RecordKind,
  type SourceBatch,
  type SourceHandlers,
  silentLogger,
} from "@qicore/core/adapter";
import { parseKafkaOptions, withInjectedBrokers } from "@qicore/kafka-common";
import type { Kafka } from "kafkajs";
import { createKafkajsClient } from "./client/kafkajs";
import type { KafkaAdmin, KafkaClient, KafkaProducer, OutgoingMessage } from "./client/types";
import { OffsetCommitter } from "./committer";
import {
  deadLetterTopicOf,
  type RedpandaSourceConfig,
  type RedpandaSourceConfigInput,
  redpandaSourceConfigSchema,
  resolveTopics,
} from "./config";
import { DeadLetterSender, KAFKA_DEFAULT_MAX_MESSAGE_BYTES } from "./dead-letter-sender";
import { prepareDeadLetterTopic } from "./dead-letter-topic";
import { ADAPTER_NAME, kafkaFailure, mentions } from "./errors";
import { type GroupLag, groupLag, nextOffsetOf } from "./group-lag";
import { sourceHealth } from "./health";
import { checkpointOffsets, partitionKey } from "./offsets";
import { StallWatch } from "./stall-watch";
import { ConsumerStream } from "./stream";

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

export type { PartitionLag } from "./group-lag";

/** The source as code sees it: the pipeline handlers plus lag and state. */
export interface RedpandaSource extends SourceHandlers {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  healthCheck(): Promise<HealthStatus>;
  read(options: ReadOptions): AsyncIterable<SourceBatch>;
  commit(checkpoint: Checkpoint): Promise<void>;
  /** The group's lag per partition (log end minus committed offset), asked of the brokers now. */
  lag(): Promise<GroupLag>;
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
    Boolean(kafka || client),
  );
}

interface Connection {
  admin: KafkaAdmin;
  topics: { topic: string; kind: RecordKind }[];
  /** The dead-letter topic's max.message.bytes. */
  deadLetterLimit: number;
}

function buildSource(
  config: RedpandaSourceConfig,
  client: KafkaClient,
  logger: Logger,
  sourceId: string,
  groupId: string,
  /** The client came from the caller (`kafka` or `client`): config.brokers is a placeholder. */
  injected = false,
): RedpandaSource {
  const deadLetterTopic = deadLetterTopicOf(config);
  let opening: Promise<Connection> | undefined;
  let producer: Promise<KafkaProducer> | undefined;
  let stream: ConsumerStream | undefined;
  let streamConsumer: { disconnect(): Promise<void> } | undefined;
  let deadLetterLimit = KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
  /** Members of this source whose consumer died without leaving the group (see read). */
  const staleMembers = new Set<string>();
  /** The partitions this source's member held at its last assignment. */
  let held = new Set<string>();
  let stallTimer: NodeJS.Timeout | undefined;
  const stalls = new StallWatch(config.stallTimeoutMs, logger, groupId);

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
          throw qiError(
            "TOPIC_MISSING",
            `${ADAPTER_NAME}: topic(s) ${missing.map(({ topic }) => topic).join(", ")} do not exist; create them (a redpanda target creates its topics) or name existing ones in topics`,
            { category: "BUSINESS", context: { topics: missing.map(({ topic }) => topic) } },
          );
        }
        if (missing.length > 0)
          logger.warn("default topics that do not exist are not read", {
            missing: missing.map(({ topic }) => topic),
          });
        const limit = await prepareDeadLetterTopic(admin, {
          topic: deadLetterTopic,
          sourceTopics: topics.map(({ topic }) => topic),
          exists: existing.has(deadLetterTopic),
          create: config.createDeadLetterTopic,
          logger,
        });
        deadLetterLimit = limit;
        return { admin, topics, deadLetterLimit: limit };
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

  const committer = new OffsetCommitter({
    groupId,
    logger,
    fetchCommitted: async () => {
      const { admin, topics } = await open();
      return admin.committedOffsets(
        groupId,
        topics.map(({ topic }) => topic),
      );
    },
  });

  const produceDeadLetters = async (messages: readonly OutgoingMessage[]) => {
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
  const deadLetters = new DeadLetterSender(produceDeadLetters, () => deadLetterLimit);

  /** Ends the previous read's consumer (it stayed in the group for the commits of its last batches). */
  const endStream = async () => {
    const consumer = streamConsumer;
    const ended = stream;
    ended?.close();
    if (ended) committer.detach(ended);
    stream = undefined;
    streamConsumer = undefined;
    await consumer
      ?.disconnect()
      .catch((thrown) => logger.warn("consumer disconnect failed", { error: String(thrown) }));
  };

  /**
   * A consumer that died while the brokers were away could not leave the group, and the
   * group would hold the partitions for it until its session timed out (30 s by default)
   * before a new member could join. It is removed first; while that fails (the brokers are
   * not back yet) so would the join, so the read fails for now and the pipeline tries again.
   */
  const removeStaleMembers = async (admin: KafkaAdmin) => {
    // A client brought by the caller has brokers this source does not know of.
    if (staleMembers.size === 0 || injected) return;
    const members = [...staleMembers];
    try {
      await admin.removeGroupMembers(groupId, members);
    } catch (thrown) {
      if (!mentions(thrown, "UNKNOWN_MEMBER_ID") && !mentions(thrown, "GROUP_ID_NOT_FOUND"))
        throw kafkaFailure(thrown, `could not remove the stopped consumer from group ${groupId}`, {
          groupId,
          members,
        });
    }
    staleMembers.clear();
  };

  const lag = async () => {
    const { admin, topics } = await open();
    return groupLag(
      admin,
      groupId,
      topics.map(({ topic }) => topic),
    );
  };

  /** One look at the partitions this member holds, for the stall watch. */
  const watchStalls = async () => {
    if (held.size === 0) return;
    try {
      const { partitions } = await lag();
      stalls.observe(
        partitions
          .filter((entry) => held.has(partitionKey(entry.topic, entry.partition)))
          .map((entry) => ({
            topic: entry.topic,
            partition: entry.partition,
            offset: nextOffsetOf(entry),
            lag: entry.lag,
          })),
      );
    } catch {
      // The brokers are away: the pipeline reports that outage itself.
    }
  };

  const startStallWatch = () => {
    if (stallTimer) return;
    const every = Math.min(10_000, Math.max(500, Math.floor(config.stallTimeoutMs / 4)));
    stallTimer = setInterval(() => void watchStalls(), every);
    stallTimer.unref?.();
  };

  const source: RedpandaSource = {
    config,
    groupId,

    async connect() {
      await open();
    },

    async disconnect() {
      if (stallTimer) clearInterval(stallTimer);
      stallTimer = undefined;
      await committer.close();
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
        const parts = {
          brokers: await connection.admin.brokerCount(),
          groupId,
          topics: connection.topics.map(({ topic }) => topic),
          lag: await lag(),
          stalled: stalls.stalled,
          stream,
          pendingCommits: committer.pending,
          deadLetterMaxBytes: connection.deadLetterLimit,
        };
        return sourceHealth(parts, performance.now() - started);
      } catch (thrown) {
        return { status: "unhealthy", message: thrown instanceof Error ? thrown.message : String(thrown) };
      }
    },

    async *read(options) {
      const connection = await open();
      await endStream();
      await removeStaleMembers(connection.admin);
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
      const given = options.checkpoint === undefined ? undefined : checkpointOffsets(options.checkpoint);
      // Offsets of topics this source no longer reads (its config changed) are not carried on.
      const read = new Set(connection.topics.map(({ topic }) => topic));
      const checkpoint = given?.filter(({ topic }) => read.has(topic));
      if (options.checkpoint !== undefined && given === undefined)
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
        sendDeadLetters: (messages) => deadLetters.deliver(messages),
        committer,
        onAssigned: (partitions) => {
          held = new Set(partitions);
        },
        onCrashed: (memberId) => {
          if (memberId) staleMembers.add(memberId);
          logger.warn("consumer stopped; the pipeline reads again with a new one", { groupId });
        },
        logger,
      });
      stream = current;
      streamConsumer = consumer;
      startStallWatch();
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
        throw qiError(
          "VALIDATION_FAILED",
          `${ADAPTER_NAME}: commit got a checkpoint that is not a Kafka offset map`,
          {
            context: { checkpoint },
          },
        );
      // Committed now through the member that holds the partitions, or kept until one does.
      await committer.acknowledge(offsets);
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
export const redpandaSource = defineSource({
  name: "redpanda",
  description:
    "Redpanda / Apache Kafka consumer group: decodes and validates every message, dead-letters the bad ones to a topic, commits offsets only after the pipeline wrote a batch, pauses on backpressure.",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema: redpandaSourceConfigSchema,
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
