import type { Logger } from "@qicore/core/adapter";
import type { KafkaAdmin } from "./client/types";
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES } from "./dead-letter-sender";

const DEAD_LETTER_RETENTION_MS = 30 * 86_400_000;
const MAX_MESSAGE_BYTES = "max.message.bytes";

export interface DeadLetterTopicOptions {
  topic: string;
  /** The topics the source reads: a refused message is at most as large as theirs allow. */
  sourceTopics: readonly string[];
  exists: boolean;
  create: boolean;
  logger: Logger;
}

/**
 * Makes sure the dead-letter topic can take what the source refuses: created with the
 * largest `max.message.bytes` of the source topics (the broker's default, 1 MB, would refuse
 * a large poison message and leave its partition stuck behind it). Resolves with the limit
 * the topic has, which bounds the copies sent to it (see DeadLetterSender). An existing topic
 * is left as it is; a smaller limit than the source topics' is logged once.
 */
export async function prepareDeadLetterTopic(
  admin: KafkaAdmin,
  options: DeadLetterTopicOptions,
): Promise<number> {
  const { topic, sourceTopics, logger } = options;
  let settings: Map<string, Record<string, string>>;
  try {
    settings = await admin.topicSettings(
      [...sourceTopics, ...(options.exists ? [topic] : [])],
      [MAX_MESSAGE_BYTES],
    );
  } catch (thrown) {
    // Not allowed to describe configs, say: bounded copies still keep every partition moving.
    logger.warn("could not read the topics' max.message.bytes; assuming Kafka's default for dead letters", {
      error: thrown instanceof Error ? thrown.message : String(thrown),
    });
    settings = new Map();
  }
  const limitOf = (name: string) => {
    const value = Number(settings.get(name)?.[MAX_MESSAGE_BYTES]);
    return Number.isFinite(value) && value > 0 ? value : undefined;
  };
  const largest = Math.max(
    KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
    ...sourceTopics.map((name) => limitOf(name) ?? 0),
  );
  if (options.exists) {
    const limit = limitOf(topic) ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
    if (limit < largest)
      logger.warn(
        `dead-letter topic ${topic} takes messages up to ${limit} bytes, the source topics up to ${largest}: larger refused messages go there as bounded copies (raise its max.message.bytes to keep them whole)`,
        { topic, limit, sourceLimit: largest },
      );
    return limit;
  }
  if (!options.create) return KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
  const brokers = await admin.brokerCount();
  await admin.createTopic({
    topic,
    numPartitions: 3,
    replicationFactor: Math.min(3, brokers),
    configEntries: [
      { name: "retention.ms", value: String(DEAD_LETTER_RETENTION_MS) },
      { name: "compression.type", value: "producer" },
      { name: "cleanup.policy", value: "delete" },
      { name: MAX_MESSAGE_BYTES, value: String(largest) },
    ],
  });
  return largest;
}
