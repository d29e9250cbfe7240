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
  /** The group gave this member its partitions (at start and after every rebalance); `memberId` is the member's id in the group. */
  onAssignment(assignment: readonly TopicPartitions[], memberId: string | undefined): void;
  /**
   * The consumer stopped fetching for good (a broker outage outlasted the library's own
   * retries, or an error it cannot retry). It does not restart itself: the source fails the
   * read, and the pipeline's retry policy decides when to read again with a new member.
   */
  onCrash(error: Error): void;
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
  /** The topic-level settings named (e.g. `max.message.bytes`) of the topics among `names` that exist. */
  topicSettings(
    names: readonly string[],
    settingNames: readonly string[],
  ): Promise<Map<string, Record<string, string>>>;
  /**
   * Removes members from a group (LeaveGroup on their behalf): a consumer that died during an
   * outage could not leave, and until its session times out the group would wait for it
   * before letting a new member in.
   */
  removeGroupMembers(groupId: string, memberIds: readonly string[]): Promise<void>;
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

/** Produces dead letters; `send` resolves once every in-sync replica has them (at least once: a retried send may store one twice). */
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
