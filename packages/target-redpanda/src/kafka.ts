/**
 * The Kafka plumbing @qicore/source-redpanda shares with this target: the connection block,
 * the kafkajs settings built from it, option parsing, the codec registration, the message
 * header names and the mapping of Kafka errors to QiErrors. Imported as
 * `@qicore/target-redpanda/kafka`; the main entry stays the adapter.
 */
export { registerCodecs } from "./client/codecs";
export { removeGroupMembers } from "./client/group-members";
export { KafkajsAdmin, kafkajsConfig, kafkajsLogCreator } from "./client/kafkajs";
export { platformaticConnectionOptions } from "./client/platformatic-connection";
export type { TopicToCreate } from "./client/types";
export { type ConnectionConfig, connectionFields, connectionSchema } from "./connection";
export { isTooLarge, kafkaErrorType, kafkaFailure } from "./errors";
export { DEAD_LETTER_HEADER, HEADER } from "./headers";
export { parseKafkaOptions, withInjectedBrokers } from "./options";
