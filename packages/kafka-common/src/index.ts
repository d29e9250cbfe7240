/**
 * `@qicore/kafka-common`: the Kafka plumbing @qicore/source-redpanda and
 * @qicore/target-redpanda share, so the two accept the same connection block and read and
 * write the same messages: the connection schema, the kafkajs settings and logger built from
 * it, option parsing, codec registration, header names, the mapping of Kafka errors to
 * QiErrors, topic administration and removing dead members from a consumer group.
 * Not an adapter: it registers nothing.
 */

// Topic administration with kafkajs, and the interface it implements.
export { KafkajsAdmin } from "./admin";
// Compressed batches: kafkajs ships gzip only, producers and consumers need the rest.
export { registerCodecs } from "./codecs";
// How to reach the brokers, as a zod schema shared by both adapters' configs.
export { type ConnectionConfig, connectionFields, connectionSchema } from "./connection";
// Kafka errors as QiErrors (retryable or not, by category).
export { isTooLarge, kafkaErrorType, kafkaFailure } from "./errors";
// A consumer group's members that died while the brokers were away.
export { removeGroupMembers } from "./group-members";
// The message headers the target writes and the source reads.
export { DEAD_LETTER_CONTENT_TYPE, DEAD_LETTER_HEADER, HEADER, JSON_CONTENT_TYPE } from "./headers";
// A connection block as each client library's settings.
export { kafkajsConfig, kafkajsLogCreator } from "./kafkajs-config";
export { parseKafkaOptions, withInjectedBrokers } from "./options";
export { type PlatformaticConnectionOptions, platformaticConnectionOptions } from "./platformatic-connection";
export type { KafkaAdmin, TopicDescription, TopicSetting, TopicToCreate } from "./types";
