import { Document, isMap, isScalar } from "yaml";
import { type QiError, qiError } from "../../errors/qi-error";
import { RECORD_KIND_DEFINITIONS, RECORD_KINDS, type RecordKind } from "../kinds";
import { recordSchemaId } from "./json-schema";

export interface TopicConfigOptions {
  /** Put before every topic name, e.g. `dev.` gives `dev.crypto-prices`. Default none. */
  prefix?: string;
  /** Replication factor of every topic instead of each kind's default (3); 1 for a single broker. */
  replicationFactor?: number;
  /** Partition count of every topic instead of each kind's default. */
  partitions?: number;
}

/** One topic-level Kafka setting, as kafkajs' `IResourceConfigEntry`. */
export interface TopicConfigEntry {
  name: string;
  value: string;
}

/**
 * The Kafka topic of one kind of record. The first four fields are kafkajs'
 * `ITopicConfig`, so a list of these can go straight to `admin.createTopics({ topics })`
 * (kafkajs ignores the others).
 */
export interface TopicConfig {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
  /** `retention.ms`, `compression.type`, `cleanup.policy`. */
  configEntries: TopicConfigEntry[];
  kind: RecordKind;
  /** Record field whose value is the message key (per-coin ordering), or null for no key. */
  keyField: string | null;
  /** `$id` of the JSON Schema message values follow (the record's output schema). */
  valueSchemaId: string;
  /** Version of the record's shape, as sent in message headers. */
  schemaVersion: number;
}

// Kafka's own rule for topic names (kafka.common.internals.Topic).
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * The topic configuration of every record kind, from `RECORD_KIND_DEFINITIONS`.
 *
 * @throws QiError (category VALIDATION) for a prefix that makes an invalid topic name or
 *   a partition count or replication factor that is not a positive integer.
 */
export function generateTopicConfigs(options: TopicConfigOptions = {}): TopicConfig[] {
  const prefix = options.prefix ?? "";
  if (options.partitions !== undefined) checkPositive("partitions", options.partitions);
  if (options.replicationFactor !== undefined) checkPositive("replicationFactor", options.replicationFactor);
  return RECORD_KINDS.map((kind) => {
    const definition = RECORD_KIND_DEFINITIONS[kind];
    const topic = `${prefix}${definition.topic.name}`;
    if (!TOPIC_NAME.test(topic) || topic === "." || topic === "..") {
      throw invalidOption(
        "prefix",
        prefix,
        `topic name ${JSON.stringify(topic)} is not valid in Kafka (letters, digits, '.', '_', '-', at most 249)`,
      );
    }
    return {
      topic,
      numPartitions: options.partitions ?? definition.topic.partitions,
      replicationFactor: options.replicationFactor ?? definition.topic.replicationFactor,
      configEntries: [
        { name: "retention.ms", value: String(definition.topic.retentionMs) },
        { name: "compression.type", value: definition.topic.compressionType },
        { name: "cleanup.policy", value: definition.topic.cleanupPolicy },
      ],
      kind,
      keyField: definition.keyField,
      valueSchemaId: recordSchemaId(kind, "output"),
      schemaVersion: definition.schemaVersion,
    };
  });
}

/**
 * The topic configuration as YAML, in the layout of the design documents' `topics.yml`
 * (one map per topic: partitions, replication-factor, retention-ms, compression-type,
 * cleanup-policy), plus the record kind, key field and value schema of each topic.
 *
 * @throws QiError as {@link generateTopicConfigs}.
 */
export function topicsYaml(options: TopicConfigOptions = {}): string {
  const topics: Record<string, Record<string, string | number | null>> = {};
  for (const config of generateTopicConfigs(options)) {
    const entry = (name: string) => config.configEntries.find((candidate) => candidate.name === name)?.value;
    topics[config.topic] = {
      partitions: config.numPartitions,
      "replication-factor": config.replicationFactor,
      "retention-ms": Number(entry("retention.ms")),
      "compression-type": entry("compression.type") ?? null,
      "cleanup-policy": entry("cleanup.policy") ?? null,
      kind: config.kind,
      "key-field": config.keyField,
      "value-schema": config.valueSchemaId,
      "schema-version": config.schemaVersion,
    };
  }
  const document = new Document(topics);
  document.commentBefore = [
    " Kafka topics of the QiCore records, generated from the record kinds by @qicore/core. Do not edit:",
    " regenerate with `qicore schema topics` (or `pnpm --filter @qicore/core gen:schemas` in the repository).",
  ].join("\n");
  for (const name of Object.keys(topics)) {
    const retention = document.getIn([name, "retention-ms"], true);
    if (isScalar(retention)) retention.comment = ` ${describeDuration(Number(retention.value))}`;
  }
  // A blank line between topics, as in a hand-written file.
  if (isMap(document.contents)) {
    document.contents.items.forEach((pair, index) => {
      if (index > 0 && isScalar(pair.key)) pair.key.spaceBefore = true;
    });
  }
  return document.toString({ lineWidth: 0 });
}

function describeDuration(milliseconds: number): string {
  const units: [number, string][] = [
    [86_400_000, "day"],
    [3_600_000, "hour"],
    [60_000, "minute"],
    [1_000, "second"],
  ];
  for (const [size, unit] of units) {
    if (milliseconds >= size && milliseconds % size === 0) {
      const amount = milliseconds / size;
      return `${amount} ${unit}${amount === 1 ? "" : "s"}`;
    }
  }
  return `${milliseconds} ms`;
}

function checkPositive(option: string, value: number): void {
  if (!Number.isInteger(value) || value < 1)
    throw invalidOption(option, value, "use a whole number of at least 1");
}

function invalidOption(option: string, value: unknown, hint: string): QiError {
  return qiError("VALIDATION_FAILED", `invalid topic option ${option}: ${JSON.stringify(value)}; ${hint}`, {
    context: { option, value },
  });
}
