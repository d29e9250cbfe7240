import {
  ADAPTER_CONTRACT_VERSION,
  type DeadLetter,
  defineTarget,
  type HealthStatus,
  type Logger,
  type MarketRecord,
  RECORD_KINDS,
  type RecordFailure,
  type RecordKind,
  silentLogger,
  type TargetHandlers,
  type WriteOutcome,
} from "@qicore/core/adapter";
import { parseKafkaOptions, withInjectedBrokers } from "@qicore/kafka-common";
import type { Kafka } from "kafkajs";
import { createClient } from "./client/create";
import { createKafkajsClient } from "./client/kafkajs";
import type { KafkaAdmin, KafkaClient, ProducerSettings, TopicToCreate } from "./client/types";
import {
  type RedpandaTargetConfig,
  type RedpandaTargetConfigInput,
  redpandaTargetConfigSchema,
} from "./config";
import { encodeDeadLetter, RecordEncoder } from "./encode";
import { ADAPTER_NAME, kafkaFailure, needsNewProducer } from "./errors";
import { ProducerSlot } from "./producer-slot";
import { QueuedWrite } from "./queued-write";
import { type FailureVerdict, type QueueEntry, SendQueue } from "./send-queue";
import { planDeadLetterTopic, planTopics, TopicManager, type TopicPlan } from "./topics";

/** Options of `createRedpandaTarget`: the config block, plus what only code can pass. */
export interface RedpandaTargetOptions extends Partial<RedpandaTargetConfigInput> {
  /** A kafkajs client you configured yourself; its brokers, TLS and SASL are used instead of the config's. */
  kafka?: Kafka;
  /** Another implementation of the client seam (a different Kafka library, a test double). */
  client?: KafkaClient;
  logger?: Logger;
  /** Who writes, as the `qicore-producer` header says; `embedded` by default. */
  producerName?: string;
}

/** The target as code sees it: the pipeline handlers plus what the topics are called. */
export interface RedpandaTarget extends TargetHandlers {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  flush(): Promise<void>;
  healthCheck(): Promise<HealthStatus>;
  write(kind: RecordKind, records: readonly MarketRecord[]): Promise<WriteOutcome>;
  writeDeadLetters(letters: readonly DeadLetter[]): Promise<void>;
  /** The topic each kind is written to (before per-exchange routing). */
  readonly topics: Readonly<Record<RecordKind, string>>;
  readonly deadLetterTopic: string;
  readonly config: RedpandaTargetConfig;
}

/** Parses options into a config, throwing a CONFIG_INVALID QiError that lists every problem. */
export function parseRedpandaTargetConfig(options: unknown): RedpandaTargetConfig {
  return parseKafkaOptions(redpandaTargetConfigSchema, options, ADAPTER_NAME);
}

/**
 * A Kafka / Redpanda target for embedding. Connects on `connect()` or the first write:
 * creates missing topics from the core's topic configs, warns about drift, then produces.
 *
 *     const target = createRedpandaTarget({ brokers: "localhost:9092" });
 *     await target.write("price", prices);
 *     await target.disconnect();
 */
export function createRedpandaTarget(options: RedpandaTargetOptions = {}): RedpandaTarget {
  const { kafka, client, logger, producerName, ...raw } = options;
  const config = parseRedpandaTargetConfig(withInjectedBrokers(raw, Boolean(kafka || client)));
  const log = logger ?? silentLogger;
  return buildTarget(
    config,
    client ?? (kafka ? createKafkajsClient(config, log, kafka) : createClient(config, log)),
    log,
    producerName ?? "embedded",
  );
}

/** One call's records as queue entries, with those that could not become messages. */
interface EncodedCall {
  entries: (write: QueuedWrite) => QueueEntry[];
  count: number;
  failures: RecordFailure[];
  topicPlans: TopicToCreate[];
}

interface Connection {
  admin: KafkaAdmin;
  producer: ProducerSlot;
  queue: SendQueue;
  topics: TopicManager;
  /**
   * The writes still in the queue, by the array they were given: the runtime retries a
   * failed write by calling `write` again with the same records, and such a call waits for
   * the messages already queued instead of producing them a second time.
   */
  writes: WeakMap<readonly unknown[], QueuedWrite>;
}

function buildTarget(
  config: RedpandaTargetConfig,
  client: KafkaClient,
  logger: Logger,
  producerName: string,
): RedpandaTarget {
  const plans = planTopics(config);
  const deadLetterPlan = planDeadLetterTopic(config);
  const encoder = new RecordEncoder({
    plans,
    exchangeKinds: config.exchangeTopics,
    producer: producerName,
    maxMessageBytes: config.maxMessageBytes,
  });
  const settings: ProducerSettings = {
    idempotent: config.idempotent,
    acks: config.acks as -1 | 0 | 1,
    compression: config.compression,
    ackTimeoutMs: config.ackTimeoutMs,
  };
  let opening: Promise<Connection> | undefined;

  const open = (): Promise<Connection> => {
    opening ??= (async () => {
      const admin = client.admin();
      const producer = new ProducerSlot(() => client.producer(settings), logger);
      try {
        await admin.connect();
        const topics = new TopicManager(admin, {
          create: config.createTopics,
          check: config.checkTopics,
          replicationFactor: config.replicationFactor,
          logger,
        });
        // Base topics of every kind up front (per-exchange ones on first use), so a
        // misconfigured cluster fails at connect rather than at the first write.
        const baseTopics = Object.values(plans)
          .filter((plan) => !config.exchangeTopics.includes(plan.kind))
          .map((plan) => plan.topic);
        await topics.ensure([...baseTopics, deadLetterPlan]);
        await producer.connect();
        const queue = new SendQueue(
          producer,
          { lingerMs: config.lingerMs, batchMessages: config.batchMessages, batchBytes: config.batchBytes },
          judgeFailure,
        );
        return { admin, producer, queue, topics, writes: new WeakMap() };
      } catch (thrown) {
        await producer.disconnect().catch(() => undefined);
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

  /**
   * Queues one call's messages, or, when the call retries an earlier one with the same
   * array, waits for what that one queued. Resolves with the records refused for good.
   */
  const send = async (
    connection: Connection,
    given: readonly unknown[],
    encode: () => EncodedCall,
    what: string,
  ): Promise<RecordFailure[]> => {
    let write = connection.writes.get(given);
    if (write && !write.delivered) {
      connection.queue.resume();
    } else {
      const encoded = encode();
      // Per-exchange topics are made before their first message is queued.
      if (encoded.topicPlans.length > 0) await connection.topics.ensure(encoded.topicPlans);
      write = new QueuedWrite(encoded.count, encoded.failures);
      connection.writes.set(given, write);
      connection.queue.add(encoded.entries(write));
    }
    try {
      return await write.wait();
    } catch (thrown) {
      throw kafkaFailure(thrown, `could not produce ${what}`);
    }
  };

  const target: RedpandaTarget = {
    config,
    topics: Object.fromEntries(Object.values(plans).map((plan) => [plan.kind, plan.topic.topic])) as Record<
      RecordKind,
      string
    >,
    deadLetterTopic: deadLetterPlan.topic,

    async connect() {
      await open();
    },

    async disconnect() {
      const current = opening;
      opening = undefined;
      if (!current) return;
      const connection = await current.catch(() => undefined);
      if (!connection) return;
      try {
        await connection.queue.flush();
      } finally {
        await connection.producer.disconnect().catch(() => undefined);
        await connection.admin.disconnect().catch(() => undefined);
      }
    },

    async flush() {
      if (!opening) return;
      const connection = await open();
      try {
        await connection.queue.flush();
      } catch (thrown) {
        throw kafkaFailure(thrown, "could not flush the messages still queued");
      }
    },

    async healthCheck() {
      const started = performance.now();
      try {
        const connection = await open();
        const brokers = await connection.admin.brokerCount();
        return {
          status: connection.queue.isStalled ? "degraded" : "healthy",
          latencyMs: performance.now() - started,
          ...(connection.queue.isStalled
            ? { message: "a produce request failed and waits to be sent again" }
            : {}),
          details: {
            brokers,
            topics: target.topics,
            deadLetterTopic: target.deadLetterTopic,
            pendingMessages: connection.queue.pendingMessages,
          },
        };
      } catch (thrown) {
        return {
          status: "unhealthy",
          message: thrown instanceof Error ? thrown.message : String(thrown),
        };
      }
    },

    async write(kind, records) {
      if (records.length === 0) return {};
      const connection = await open();
      const failures = await send(
        connection,
        records,
        () => {
          const encoded = encoder.encode(kind, records);
          return {
            count: encoded.indexes.reduce((sum, indexes) => sum + indexes.length, 0),
            failures: encoded.failures,
            entries: (write) =>
              encoded.topics.flatMap(({ topic, messages }, position) =>
                messages.map((message, at) => ({
                  topic,
                  message,
                  write,
                  index: encoded.indexes[position]?.[at] ?? at,
                })),
              ),
            topicPlans: encoded.topicPlans,
          };
        },
        `${records.length} ${kind} records`,
      );
      return failures.length > 0 ? { failures } : {};
    },

    async writeDeadLetters(letters) {
      if (letters.length === 0) return;
      const connection = await open();
      const failures = await send(
        connection,
        letters,
        () => ({
          count: letters.length,
          failures: [],
          entries: (write) =>
            letters.map((letter, index) => ({
              topic: deadLetterPlan.topic,
              message: encodeDeadLetter(letter, plans, producerName, config.maxMessageBytes),
              write,
              index,
            })),
          topicPlans: [],
        }),
        `${letters.length} dead letters`,
      );
      const refused = failures[0];
      if (refused) throw refused.error.withContext({ deadLetters: letters.length, refused: failures.length });
    },
  };
  return target;
}

/** Whether a failed request is sent again as it was, refused for good, or needs a new producer first. */
function judgeFailure(thrown: unknown): FailureVerdict {
  const error = kafkaFailure(thrown, "a produce request failed");
  return { error, refused: !error.retryable, renew: needsNewProducer(thrown) };
}

/** Topics a config leads to (record kinds and dead letters), as they would be created. */
export function plannedTopics(config: RedpandaTargetConfig): {
  kinds: Record<RecordKind, TopicPlan>;
  deadLetter: TopicToCreate;
} {
  return { kinds: planTopics(config), deadLetter: planDeadLetterTopic(config) };
}

/**
 * The `redpanda` target of pipeline files: records as keyed JSON messages on one topic
 * per kind (or per kind and exchange), dead letters on a topic of their own.
 */
export const redpandaTarget = defineTarget({
  name: "redpanda",
  description:
    "Redpanda / Apache Kafka: keyed JSON messages on per-kind topics created from the core's topic configs; idempotent producer, lz4/zstd/snappy/gzip, dead-letter topic.",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema: redpandaTargetConfigSchema,
  // Appending is not idempotent: a replayed batch is produced again (consumers dedupe by key and time).
  capabilities: { kinds: RECORD_KINDS, idempotent: false, deadLetter: true },
  create(config, context) {
    const logger = context.logger.child({ target: context.id });
    return buildTarget(config, createClient(config, logger), logger, `${context.pipelineName}/${context.id}`);
  },
});
