import type { Logger } from "@qicore/core";
import kafkajs, {
  type Kafka,
  type KafkaConfig,
  type LogEntry,
  type Producer,
  type ProducerBatch,
  type SASLOptions,
} from "kafkajs";
import type { ConnectionConfig } from "../connection";
import { registerCodecs } from "./codecs";
import type {
  Compression,
  KafkaAdmin,
  KafkaClient,
  KafkaProducer,
  ProducerSettings,
  TopicDescription,
  TopicMessages,
  TopicToCreate,
} from "./types";

const { Kafka: KafkaConstructor, CompressionTypes, ConfigResourceTypes, Partitioners, logLevel } = kafkajs;

const COMPRESSION: Record<Compression, kafkajs.CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** The kafkajs settings for a connection block (brokers, TLS, SASL, timeouts, retries). */
export function kafkajsConfig(connection: ConnectionConfig, logger: Logger): KafkaConfig {
  return {
    clientId: connection.clientId,
    brokers: connection.brokers,
    ssl: connection.ssl,
    // A copy: kafkajs hangs its authentication provider on the object it is given.
    ...(connection.sasl ? { sasl: { ...connection.sasl } as SASLOptions } : {}),
    connectionTimeout: connection.connectionTimeoutMs,
    requestTimeout: connection.requestTimeoutMs,
    retry: { retries: connection.retries, initialRetryTime: 300, maxRetryTime: 30_000 },
    logLevel: logLevel.WARN,
    logCreator: kafkajsLogCreator(logger),
  };
}

/**
 * kafkajs' lines about single attempts while brokers are unreachable or moving (a refused
 * connection, an error answer it retries, a consumer crash the source recovers from): one
 * per request and retry, dozens a second during an outage. The pipeline reports the outage
 * itself (readiness, a warning when it starts and every 30 s, one when it ends), so these
 * go to debug.
 */
const ATTEMPT_CHATTER =
  /^(Connection error|Connection timeout|Failed to connect to seed broker|Response \w+\(key: \d+, version: \d+\)|Failed to send messages|Crash: |Restarting the consumer|The group is rebalancing|The coordinator is not aware of this member|Caught error when disconnecting the consumer|Error while stopping the consumer)/;

/** Routes kafkajs' own log lines into the pipeline's logger (warnings and errors only). */
export function kafkajsLogCreator(logger: Logger): KafkaConfig["logCreator"] {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      // Intended: retries are bounded so a dead cluster fails the write instead of hanging
      // inside kafkajs; the pipeline's delivery.retry waits the outage out, and the send
      // queue sends the failed request again unchanged, so the brokers drop what they had.
      if (message.startsWith("Limiting retries for the idempotent producer")) return;
      const text = `kafkajs: ${message}`;
      if (ATTEMPT_CHATTER.test(message)) logger.debug(text, fields);
      else if (level === logLevel.ERROR) logger.error(text, fields);
      else if (level === logLevel.WARN) logger.warn(text, fields);
      else logger.debug(text, fields);
    };
}

/**
 * The seam implemented with kafkajs 2.2.4. Pass `kafka` to use a kafkajs client you
 * configured yourself (its own brokers, TLS, SASL, logging); otherwise one is made
 * from the connection block.
 */
export function createKafkajsClient(
  connection: ConnectionConfig,
  logger: Logger,
  kafka: Kafka = new KafkaConstructor(kafkajsConfig(connection, logger)),
): KafkaClient {
  registerCodecs();
  return {
    producer: (settings) => new KafkajsProducer(kafka, settings, connection.retries),
    admin: () => new KafkajsAdmin(kafka),
  };
}

class KafkajsProducer implements KafkaProducer {
  private readonly producer: Producer;
  private readonly compression: kafkajs.CompressionTypes;

  constructor(
    kafka: Kafka,
    private readonly settings: ProducerSettings,
    retries: number,
  ) {
    this.producer = kafka.producer({
      // Java-compatible murmur2, stated explicitly (it is kafkajs 2's default) so keys land
      // where the Java client, librdkafka's murmur2 partitioner and Redpanda tools put them.
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: settings.idempotent,
      // The idempotent producer keeps one request in flight per broker (kafkajs requires it).
      ...(settings.idempotent ? { maxInFlightRequests: 1 } : {}),
      allowAutoTopicCreation: false,
      retry: { retries, initialRetryTime: 300, maxRetryTime: 30_000 },
    });
    this.compression = COMPRESSION[settings.compression];
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  async send(batch: readonly TopicMessages[]): Promise<void> {
    const request: ProducerBatch = {
      topicMessages: batch as ProducerBatch["topicMessages"],
      acks: this.settings.acks,
      timeout: this.settings.ackTimeoutMs,
      compression: this.compression,
    };
    await this.producer.sendBatch(request);
  }
}

/** Topic administration with kafkajs; @qicore/source-redpanda's admin builds on it. */
export class KafkajsAdmin implements KafkaAdmin {
  protected readonly admin: ReturnType<Kafka["admin"]>;

  constructor(kafka: Kafka) {
    this.admin = kafka.admin();
  }

  connect(): Promise<void> {
    return this.admin.connect();
  }

  disconnect(): Promise<void> {
    return this.admin.disconnect();
  }

  async brokerCount(): Promise<number> {
    const cluster = await this.admin.describeCluster();
    return cluster.brokers.length;
  }

  async describeTopics(
    names: readonly string[],
    settingNames: readonly string[],
  ): Promise<Map<string, TopicDescription>> {
    const found = new Map<string, TopicDescription>();
    const existing = new Set(await this.admin.listTopics());
    const present = names.filter((name) => existing.has(name));
    if (present.length === 0) return found;
    // A topic another process just created may not answer metadata requests yet.
    await this.waitForLeaders(present);
    const metadata = await this.admin.fetchTopicMetadata({ topics: present });
    const configs = await this.admin.describeConfigs({
      includeSynonyms: false,
      resources: present.map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: [...settingNames],
      })),
    });
    for (const topic of metadata.topics) {
      const settings: Record<string, string> = {};
      const resource = configs.resources.find((candidate) => candidate.resourceName === topic.name);
      for (const entry of resource?.configEntries ?? []) settings[entry.configName] = entry.configValue;
      found.set(topic.name, {
        name: topic.name,
        partitions: topic.partitions.length,
        replicationFactor: Math.max(0, ...topic.partitions.map((partition) => partition.replicas.length)),
        settings,
      });
    }
    return found;
  }

  async createTopics(topics: readonly TopicToCreate[]): Promise<void> {
    if (topics.length === 0) return;
    // Resolves false (no error) for topics that already exist: another process created them first.
    await this.admin.createTopics({
      // kafkajs' own wait gives up on the UNKNOWN_TOPIC_OR_PARTITION a KRaft broker answers
      // for a moment after creating a topic; waitForLeaders below tolerates it.
      waitForLeaders: false,
      topics: topics.map((topic) => ({
        topic: topic.topic,
        numPartitions: topic.numPartitions,
        replicationFactor: topic.replicationFactor,
        configEntries: topic.configEntries.map((entry) => ({ name: entry.name, value: entry.value })),
      })),
    });
    await this.waitForLeaders(topics.map((topic) => topic.topic));
  }

  /** Waits until every partition of the topics has a leader, so the first produce does not fail. */
  private async waitForLeaders(names: readonly string[], timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const metadata = await this.admin.fetchTopicMetadata({ topics: [...names] });
        const ready =
          metadata.topics.length === names.length &&
          metadata.topics.every(
            (topic) =>
              topic.partitions.length > 0 && topic.partitions.every((partition) => partition.leader >= 0),
          );
        if (ready) return;
      } catch (thrown) {
        if (Date.now() > deadline) throw thrown;
      }
      if (Date.now() > deadline)
        throw new Error(`topics ${names.join(", ")} have no leader ${timeoutMs} ms after their creation`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
