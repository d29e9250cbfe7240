import type { Logger } from "@qicore/core/adapter";
import {
  type ConnectionConfig,
  kafkajsConfig,
  registerCodecs,
  removeGroupMembers,
  KafkajsAdmin as TargetAdmin,
  type TopicToCreate,
} from "@qicore/kafka-common";
import kafkajs, {
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type KafkaMessage,
  type Producer,
} from "kafkajs";
import type {
  ConsumedMessage,
  ConsumerListener,
  ConsumerSettings,
  KafkaAdmin,
  KafkaClient,
  KafkaConsumer,
  KafkaProducer,
  OutgoingMessage,
  PartitionEnds,
  PartitionOffset,
} from "./types";

const { Kafka: KafkaConstructor, CompressionTypes, Partitioners } = kafkajs;

/**
 * The seam implemented with kafkajs 2.2.4. Pass `kafka` to use a kafkajs client you
 * configured yourself; otherwise one is made from the connection block.
 */
export function createKafkajsClient(
  connection: ConnectionConfig,
  logger: Logger,
  kafka: Kafka = new KafkaConstructor(kafkajsConfig(connection, logger)),
): KafkaClient {
  registerCodecs();
  return {
    consumer: (settings) => new KafkajsConsumer(kafka, settings),
    admin: () => new KafkajsAdmin(kafka, connection),
    producer: () => new KafkajsProducer(kafka, connection.retries),
  };
}

class KafkajsConsumer implements KafkaConsumer {
  private readonly consumer: Consumer;

  constructor(kafka: Kafka, settings: ConsumerSettings) {
    this.consumer = kafka.consumer({
      groupId: settings.groupId,
      sessionTimeout: settings.sessionTimeoutMs,
      rebalanceTimeout: settings.rebalanceTimeoutMs,
      heartbeatInterval: settings.heartbeatIntervalMs,
      maxBytesPerPartition: settings.maxBytesPerPartition,
      maxBytes: settings.maxBytes,
      maxWaitTimeInMs: settings.maxWaitTimeMs,
      allowAutoTopicCreation: false,
      // kafkajs would restart a crashed consumer itself, after a delay of its own, as a new
      // member the group waits for, and meanwhile refuse commits, pauses and seeks ("Consumer
      // group was not initialized"). The source fails the read instead and the pipeline's
      // delivery.retry reads again: one retry policy, and readiness says why.
      retry: { restartOnFailure: async () => false },
    });
    this.concurrency = settings.partitionsConsumedConcurrently;
  }

  private readonly concurrency: number;
  /** Fetching: between the start of `run` and a crash or `disconnect`. */
  private running = false;

  async start(topics: readonly string[], fromBeginning: boolean, listener: ConsumerListener): Promise<void> {
    const { GROUP_JOIN, CRASH } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, (event) => {
      const assignment = Object.entries(event.payload.memberAssignment).map(([topic, partitions]) => ({
        topic,
        partitions: [...(partitions as number[])].sort((a, b) => a - b),
      }));
      listener.onAssignment(assignment, event.payload.memberId);
    });
    this.consumer.on(CRASH, (event) => {
      this.running = false;
      listener.onCrash(event.payload.error);
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...topics], fromBeginning });
    this.running = true;
    await this.consumer.run({
      autoCommit: false,
      // The source resolves a batch only once it has taken it; a batch left after a seek is fetched again.
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.concurrency,
      eachBatch: async ({ batch, resolveOffset }: EachBatchPayload) => {
        const taken = await listener.onBatch({
          topic: batch.topic,
          partition: batch.partition,
          fetchedOffset: (batch as unknown as { fetchedOffset: string }).fetchedOffset,
          lastOffset: batch.lastOffset(),
          highWatermark: batch.highWatermark,
          messages: consumedMessages(batch.messages),
        });
        if (taken) resolveOffset(batch.lastOffset());
      },
    });
  }

  // A consumer that crashed has no group any more and kafkajs throws on these; the source
  // learns of the crash through onCrash and reads again with a new consumer, so they are no-ops.

  pause(topics: readonly string[]): void {
    if (this.running) this.consumer.pause(topics.map((topic) => ({ topic })));
  }

  resume(topics: readonly string[]): void {
    if (this.running) this.consumer.resume(topics.map((topic) => ({ topic })));
  }

  seek(topic: string, partition: number, offset: string): void {
    if (this.running) this.consumer.seek({ topic, partition, offset });
  }

  commit(offsets: readonly PartitionOffset[]): Promise<void> {
    return this.consumer.commitOffsets(
      offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })),
    );
  }

  disconnect(): Promise<void> {
    this.running = false;
    return this.consumer.disconnect();
  }
}

/**
 * kafkajs' messages as the seam's. Messages of record batches (every broker since Kafka
 * 0.11, Redpanda) already have the fields ConsumedMessage names, so they are handed on as
 * they are rather than copied one by one; only old message sets, which have no headers,
 * are copied.
 */
function consumedMessages(messages: KafkaMessage[]): ConsumedMessage[] {
  for (const message of messages)
    if (message.headers === undefined || message.key === undefined || message.value === undefined)
      return messages.map((entry) => ({
        offset: entry.offset,
        key: entry.key ?? null,
        value: entry.value ?? null,
        headers: (entry.headers ?? {}) as ConsumedMessage["headers"],
        timestamp: entry.timestamp,
      }));
  return messages as ConsumedMessage[];
}

/** The target's kafkajs admin (connection, broker count, topic creation that waits for leaders) plus what a consumer group needs. */
class KafkajsAdmin extends TargetAdmin implements KafkaAdmin {
  constructor(
    kafka: Kafka,
    private readonly connection: ConnectionConfig,
  ) {
    super(kafka);
  }

  listTopics(): Promise<string[]> {
    return this.admin.listTopics();
  }

  async topicSettings(
    names: readonly string[],
    settingNames: readonly string[],
  ): Promise<Map<string, Record<string, string>>> {
    const described = await this.describeTopics(names, settingNames);
    return new Map([...described].map(([name, topic]) => [name, topic.settings]));
  }

  removeGroupMembers(groupId: string, memberIds: readonly string[]): Promise<void> {
    return removeGroupMembers(this.connection, groupId, memberIds, "its consumer stopped during an outage");
  }

  async committedOffsets(groupId: string, topics: readonly string[]): Promise<PartitionOffset[]> {
    const fetched = await this.admin.fetchOffsets({ groupId, topics: [...topics] });
    return fetched.flatMap(({ topic, partitions }) =>
      partitions.map(({ partition, offset }) => ({ topic, partition, offset })),
    );
  }

  async partitionEnds(topic: string): Promise<PartitionEnds[]> {
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return offsets.map(({ partition, low, high }) => ({ partition, low, high }));
  }

  offsetsAtTime(topic: string, timestampMs: number): Promise<{ partition: number; offset: string }[]> {
    return this.admin.fetchTopicOffsetsByTimestamp(topic, timestampMs);
  }

  createTopic(topic: TopicToCreate): Promise<void> {
    return this.createTopics([topic]);
  }
}

class KafkajsProducer implements KafkaProducer {
  private readonly producer: Producer;

  constructor(kafka: Kafka, retries: number) {
    this.producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      // Not idempotent: a batch is sent again after a consumer restart as it is fetched then,
      // which may be made up differently, and an idempotent producer would take a same-sized
      // batch for a duplicate or refuse a different one as out of order. A dead letter stored
      // twice is harmless; one dropped is not.
      idempotent: false,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries, initialRetryTime: 300, maxRetryTime: 30_000 },
    });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  async send(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    await this.producer.send({
      topic,
      acks: -1,
      compression: CompressionTypes.GZIP,
      messages: messages.map((message) => ({
        key: message.key,
        value: message.value,
        headers: message.headers,
      })),
    });
  }
}
