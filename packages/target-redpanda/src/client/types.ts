/**
 * The seam between the target and a Kafka client library. The target only talks to
 * these interfaces; `createKafkajsClient` implements them with kafkajs 2.2.4, and
 * another client (e.g. @platformatic/kafka) can replace it by implementing them too.
 */

import type { KafkaAdmin } from "@qicore/kafka-common";

export type { KafkaAdmin, TopicDescription, TopicSetting, TopicToCreate } from "@qicore/kafka-common";

/** A message header value: text, or bytes (kept as given). */
export type HeaderValue = string | Buffer;

/** One message to produce. */
export interface OutgoingMessage {
  /** Partitioning key; messages with the same key land on the same partition (murmur2, as the Java client). */
  key: string | null;
  value: Buffer;
  headers: Record<string, HeaderValue>;
}

/** Messages for one topic. */
export interface TopicMessages {
  topic: string;
  messages: OutgoingMessage[];
}

export type Compression = "none" | "gzip" | "snappy" | "lz4" | "zstd";

export interface ProducerSettings {
  /** Exactly-once per partition within a producer session (no duplicates from retries). */
  idempotent: boolean;
  /** -1: every in-sync replica; 1: the leader; 0: no acknowledgement. */
  acks: -1 | 0 | 1;
  compression: Compression;
  /** How long the broker may wait for the acknowledgements acks asks for. */
  ackTimeoutMs: number;
}

/** Produces messages. `send` resolves once the brokers acknowledged every message (per `acks`). */
export interface KafkaProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(batch: readonly TopicMessages[]): Promise<void>;
}

/** A connection to one cluster, handing out producers and admin clients. */
export interface KafkaClient {
  producer(settings: ProducerSettings): KafkaProducer;
  admin(): KafkaAdmin;
}
