/**
 * The seam between the source and a Kafka client library. The source only talks to these
 * interfaces; `createKafkajsClient` implements them with kafkajs 2.2.4, and another client
 * (e.g. @platformatic/kafka) can replace it by implementing them too.
 */

export type HeaderValue = string | Buffer;

/** One consumed message, as the broker stored it. */
export interface ConsumedMessage {
  /** Offset in its partition (an int64 as decimal text). */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, HeaderValue | undefined>;
  /** Create or log-append time, epoch milliseconds as text. */
  timestamp: string;
}

/** Messages fetched from one partition. */
export interface ConsumedBatch {
  topic: string;
  partition: number;
  /** The offset the fetch started at (where the consumer stood). */
  fetchedOffset: string;
  /** Offset of the last record in the batch (may be past the last message: control records). */
  lastOffset: string;
  /** The partition's log end offset when fetched, for lag. */
  highWatermark: string;
  messages: ConsumedMessage[];
}

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface PartitionOffset {
  topic: string;
  partition: number;
  /** For commits: the offset of the next message to read. */
  offset: string;
}

/** What the consumer reports to the source. */
export interface ConsumerListener {
  /**
   * A fetched batch. Resolve `true` when the batch is taken (the consumer moves past it;
   * nothing is committed), `false` to leave the position where it is (after a seek).
   */
  onBatch(batch: ConsumedBatch): Promise<boolean>;
  /** The group gave this member its partitions (at start and after every rebalance). */
  onAssignment(assignment: readonly TopicPartitions[]): void;
  /** The client failed; when `willRestart` is false it stopped for good. */
  onCrash(error: Error, willRestart: boolean): void;
}

export interface ConsumerSettings {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxBytesPerPartition: number;
  maxBytes: number;
  maxWaitTimeMs: number;
  partitionsConsumedConcurrently: number;
}

/**
 * A consumer-group member. Offsets move only by `commit`: nothing is committed
 * automatically, so a crash replays from the last commit.
 */
export interface KafkaConsumer {
  /** Joins the group and starts fetching; partitions without a committed offset start at the earliest or latest. */
  start(topics: readonly string[], fromBeginning: boolean, listener: ConsumerListener): Promise<void>;
  /** Stops fetching the topics (the member stays in the group and keeps its partitions). */
  pause(topics: readonly string[]): void;
  resume(topics: readonly string[]): void;
  /** Moves where the next fetch of a partition starts. */
  seek(topic: string, partition: number, offset: string): void;
  /** Commits offsets for the group, as this member (rejected by the broker during a rebalance). */
  commit(offsets: readonly PartitionOffset[]): Promise<void>;
  /** Leaves the group and closes the connections. */
  disconnect(): Promise<void>;
}

export interface PartitionEnds {
  partition: number;
  /** Log start offset. */
  low: string;
  /** Log end offset (high watermark). */
  high: string;
}

/** Cluster administration the source needs. */
export interface KafkaAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listTopics(): Promise<string[]>;
  brokerCount(): Promise<number>;
  /** The group's committed offset of every partition of the topics (`-1` where none). */
  committedOffsets(groupId: string, topics: readonly string[]): Promise<PartitionOffset[]>;
  /** Log start and end offsets of every partition of a topic. */
  partitionEnds(topic: string): Promise<PartitionEnds[]>;
  /** Per partition, the offset of the first message at or after the time (the log end where none is). */
  offsetsAtTime(topic: string, timestampMs: number): Promise<{ partition: number; offset: string }[]>;
  /** Creates a topic unless it exists. */
  createTopic(topic: {
    topic: string;
    numPartitions: number;
    replicationFactor: number;
    configEntries: readonly { name: string; value: string }[];
  }): Promise<void>;
}

/** One message to produce (dead letters). */
export interface OutgoingMessage {
  key: Buffer | string | null;
  value: Buffer | null;
  headers: Record<string, HeaderValue>;
}

/** Produces dead letters; `send` resolves once every in-sync replica has them. */
export interface KafkaProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
}

/** A connection to one cluster. */
export interface KafkaClient {
  consumer(settings: ConsumerSettings): KafkaConsumer;
  admin(): KafkaAdmin;
  producer(): KafkaProducer;
}
