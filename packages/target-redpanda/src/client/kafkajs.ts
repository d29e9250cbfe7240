import type { Logger } from "@qicore/core/adapter";
import { type ConnectionConfig, KafkajsAdmin, kafkajsConfig, registerCodecs } from "@qicore/kafka-common";
import kafkajs, { type Kafka, type Producer, type ProducerBatch } from "kafkajs";
import type { Compression, KafkaClient, KafkaProducer, ProducerSettings, TopicMessages } from "./types";

const { Kafka: KafkaConstructor, CompressionTypes, Partitioners } = kafkajs;

const COMPRESSION: Record<Compression, kafkajs.CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

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
