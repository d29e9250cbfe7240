/**
 * Header names of the messages @qicore/target-redpanda writes. Values are UTF-8 text. Consumers
 * (@qicore/source-redpanda, kcat, anything else) can route and check messages by them
 * without parsing the value.
 */
export const HEADER = {
  /** `application/json` for records; `application/vnd.qicore.dead-letter+json` for dead letters. */
  contentType: "content-type",
  /** Record kind: `price`, `ohlcv` or `analytics`. */
  kind: "qicore-kind",
  /** `$id` of the JSON Schema the value follows, e.g. `https://qicore.dev/schemas/crypto-price.v1.json`. */
  schema: "qicore-schema",
  /** Version of the record's shape, e.g. `1`. */
  schemaVersion: "qicore-schema-version",
  /** The record's `source` field: the system the data came from (`coingecko`). */
  source: "qicore-source",
  /** Who wrote a dead letter: `<pipeline>/<target id>` (record messages leave it out). */
  producer: "qicore-producer",
} as const;

/** Extra headers of a dead letter: why it was refused and where it came from. */
export const DEAD_LETTER_HEADER = {
  code: "qicore-dead-letter-code",
  category: "qicore-dead-letter-category",
  message: "qicore-dead-letter-message",
  /** Pipeline source id the record came from. */
  sourceId: "qicore-dead-letter-source",
  /** Pipeline target that refused it (absent for records that failed validation). */
  targetId: "qicore-dead-letter-target",
  failedAt: "qicore-dead-letter-failed-at",
  attempts: "qicore-dead-letter-attempts",
  /** Where the record was read from, when the source said (Kafka topic, partition, offset; a URL). */
  originTopic: "qicore-origin-topic",
  originPartition: "qicore-origin-partition",
  originOffset: "qicore-origin-offset",
  /** The whole origin as JSON, for sources that are not Kafka. */
  origin: "qicore-origin",
  /** Present when the letter is a bounded copy: what was cut (`value`, `record`). */
  truncated: "qicore-dead-letter-truncated",
  /** Size in bytes of what was cut, as it was before. */
  originalBytes: "qicore-dead-letter-original-bytes",
} as const;

export const JSON_CONTENT_TYPE = "application/json";
export const DEAD_LETTER_CONTENT_TYPE = "application/vnd.qicore.dead-letter+json";
