/**
 * The topic administration both Kafka adapters need, as an interface: `KafkajsAdmin`
 * implements it with kafkajs 2.2.4, and a test or another library can stand in for it.
 */

/** One topic-level setting (`retention.ms`), as Kafka names it. */
export interface TopicSetting {
  name: string;
  value: string;
}

/** What a topic looks like on the cluster. */
export interface TopicDescription {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** The topic-level settings asked about, by name. */
  settings: Record<string, string>;
}

export interface TopicToCreate {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
  configEntries: readonly TopicSetting[];
}

/** Cluster administration the target needs: counting brokers, describing and creating topics. */
export interface KafkaAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** Number of brokers in the cluster (caps the replication factor of new topics). */
  brokerCount(): Promise<number>;
  /** The topics that exist among `names`, with the settings named in `settingNames`. */
  describeTopics(
    names: readonly string[],
    settingNames: readonly string[],
  ): Promise<Map<string, TopicDescription>>;
  /** Creates topics; a topic that already exists (another process won the race) is not an error. */
  createTopics(topics: readonly TopicToCreate[]): Promise<void>;
}
