import {
  generateTopicConfigs,
  type Logger,
  qiError,
  RECORD_KINDS,
  type RecordKind,
} from "@qicore/core/adapter";
import type { KafkaAdmin, TopicDescription, TopicToCreate } from "./client/types";
import { DEFAULT_DEAD_LETTER_TOPIC, type RedpandaTargetConfig } from "./config";
import { ADAPTER_NAME, kafkaFailure } from "./errors";

/** The topic-level settings the core's topic configs set, and so the ones checked for drift. */
export const CHECKED_SETTINGS = ["retention.ms", "compression.type", "cleanup.policy"] as const;

const DEAD_LETTER_RETENTION_MS = 30 * 86_400_000;

/** What a record kind's topic (and its per-exchange topics) should look like. */
export interface TopicPlan {
  kind: RecordKind;
  topic: TopicToCreate;
  /** Header values that are the same for every message of the kind. */
  schemaId: string;
  schemaVersion: number;
  keyField: string | null;
}

/**
 * The topics of every kind, from the core's generated topic configs (one source of truth
 * for partitions, retention, compression and cleanup policy), under the configured names.
 */
export function planTopics(config: RedpandaTargetConfig): Record<RecordKind, TopicPlan> {
  const generated = generateTopicConfigs({
    prefix: config.topicPrefix,
    ...(config.partitions !== undefined ? { partitions: config.partitions } : {}),
    ...(config.replicationFactor !== undefined ? { replicationFactor: config.replicationFactor } : {}),
  });
  const plans = {} as Record<RecordKind, TopicPlan>;
  for (const kind of RECORD_KINDS) {
    const topic = generated.find((candidate) => candidate.kind === kind);
    if (!topic) throw new Error(`the core generated no topic config for ${kind}`);
    plans[kind] = {
      kind,
      topic: {
        topic: config.topics[kind] ?? topic.topic,
        numPartitions: topic.numPartitions,
        replicationFactor: topic.replicationFactor,
        configEntries: topic.configEntries,
      },
      schemaId: topic.valueSchemaId,
      schemaVersion: topic.schemaVersion,
      keyField: topic.keyField,
    };
  }
  return plans;
}

/** The dead-letter topic: kept 30 days, stored as the producer compressed it. */
export function planDeadLetterTopic(config: RedpandaTargetConfig): TopicToCreate {
  return {
    topic: config.deadLetterTopic ?? `${config.topicPrefix}${DEFAULT_DEAD_LETTER_TOPIC}`,
    numPartitions: config.partitions ?? 3,
    replicationFactor: config.replicationFactor ?? 3,
    configEntries: [
      { name: "retention.ms", value: String(DEAD_LETTER_RETENTION_MS) },
      { name: "compression.type", value: "producer" },
      { name: "cleanup.policy", value: "delete" },
    ],
  };
}

/** A topic that routes one kind per exchange: `<topic>.<exchange>`, configured like the kind's topic. */
export function exchangeTopic(plan: TopicPlan, exchangeId: string): TopicToCreate {
  return { ...plan.topic, topic: `${plan.topic.topic}.${exchangeId}` };
}

export interface TopicManagerOptions {
  create: boolean;
  check: boolean;
  /** Replication factor given in config; when absent the planned one is capped at the broker count. */
  replicationFactor: number | undefined;
  logger: Logger;
}

/**
 * Makes sure topics exist before messages go to them: creates the missing ones (when
 * allowed) and compares the existing ones with their plan, warning once per call about
 * every difference. Each topic is handled once per process; concurrent calls share the work.
 */
export class TopicManager {
  private readonly ready = new Map<string, Promise<void>>();
  private brokers: Promise<number> | undefined;

  constructor(
    private readonly admin: KafkaAdmin,
    private readonly options: TopicManagerOptions,
  ) {}

  /** Resolves once every topic exists; rejects with a QiError naming what is missing or failed. */
  async ensure(topics: readonly TopicToCreate[]): Promise<void> {
    const fresh = topics.filter((topic) => !this.ready.has(topic.topic));
    if (fresh.length > 0) {
      const work = this.prepare(fresh);
      for (const topic of fresh) {
        this.ready.set(
          topic.topic,
          work.catch((thrown) => {
            // A failed topic is tried again on the next call.
            this.ready.delete(topic.topic);
            throw thrown;
          }),
        );
      }
    }
    await Promise.all(topics.map((topic) => this.ready.get(topic.topic)));
  }

  private async prepare(topics: readonly TopicToCreate[]): Promise<void> {
    const names = topics.map((topic) => topic.topic);
    let existing: Map<string, TopicDescription>;
    try {
      existing = await this.admin.describeTopics(names, CHECKED_SETTINGS);
    } catch (thrown) {
      throw kafkaFailure(thrown, `could not describe topics ${names.join(", ")}`, { topics: names });
    }
    const wanted = await this.withReplication(topics);
    const missing = wanted.filter((topic) => !existing.has(topic.topic));
    if (missing.length > 0) {
      if (!this.options.create) {
        throw qiError(
          "TOPIC_MISSING",
          `${ADAPTER_NAME}: topic(s) ${missing.map((topic) => topic.topic).join(", ")} do not exist and createTopics is false; create them (qicore schema topics prints their settings) or set createTopics: true`,
          { category: "BUSINESS", context: { topics: missing.map((topic) => topic.topic) } },
        );
      }
      try {
        await this.admin.createTopics(missing);
      } catch (thrown) {
        throw kafkaFailure(thrown, `could not create topics ${missing.map((t) => t.topic).join(", ")}`, {
          topics: missing.map((topic) => topic.topic),
        });
      }
      this.options.logger.info("created topics", {
        topics: missing.map((topic) => `${topic.topic} (${topic.numPartitions} partitions)`),
      });
      // A topic created by someone else a moment ago is not listed yet, and creating it was
      // a no-op: describe them again so such a topic is checked like the others.
      if (this.options.check) {
        try {
          const created = await this.admin.describeTopics(
            missing.map((topic) => topic.topic),
            CHECKED_SETTINGS,
          );
          for (const [name, description] of created) existing.set(name, description);
        } catch (thrown) {
          this.options.logger.debug("could not describe the topics just created", { error: String(thrown) });
        }
      }
    }
    if (this.options.check) {
      const drift = wanted.flatMap((topic) => {
        const actual = existing.get(topic.topic);
        return actual ? describeDrift(topic, actual) : [];
      });
      if (drift.length > 0) {
        this.options.logger.warn(
          `existing topics differ from the core's topic configs (left as they are; change them with your Kafka tools if the difference is not intended): ${drift.join("; ")}`,
          { adapter: ADAPTER_NAME, drift },
        );
      }
    }
  }

  /** Caps planned replication factors at the number of brokers, unless config set one explicitly. */
  private async withReplication(topics: readonly TopicToCreate[]): Promise<TopicToCreate[]> {
    if (this.options.replicationFactor !== undefined) return [...topics];
    this.brokers ??= this.admin.brokerCount().catch((thrown) => {
      this.brokers = undefined;
      throw kafkaFailure(thrown, "could not count the brokers");
    });
    const brokers = await this.brokers;
    return topics.map((topic) => ({
      ...topic,
      replicationFactor: Math.max(1, Math.min(topic.replicationFactor, brokers)),
    }));
  }
}

/** Differences between a planned topic and the one on the cluster, one phrase each. */
export function describeDrift(wanted: TopicToCreate, actual: TopicDescription): string[] {
  const differences: string[] = [];
  if (actual.partitions !== wanted.numPartitions)
    differences.push(`partitions ${actual.partitions} (expected ${wanted.numPartitions})`);
  if (actual.replicationFactor !== wanted.replicationFactor)
    differences.push(`replication factor ${actual.replicationFactor} (expected ${wanted.replicationFactor})`);
  for (const entry of wanted.configEntries) {
    const value = actual.settings[entry.name];
    if (value !== undefined && value !== entry.value)
      differences.push(`${entry.name} ${value} (expected ${entry.value})`);
  }
  return differences.length > 0 ? [`${wanted.topic}: ${differences.join(", ")}`] : [];
}
