import kafkajs, { type Kafka } from "kafkajs";
import type { KafkaAdmin, TopicDescription, TopicToCreate } from "./types";

const { ConfigResourceTypes } = kafkajs;

/**
 * Topic administration with kafkajs (broker count, describing topics, creating them and waiting
 * for their leaders): target-redpanda uses it as is, source-redpanda's admin extends it.
 */
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
