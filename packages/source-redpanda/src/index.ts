import { registerAdapter } from "@qicore/core/adapter";
import { redpandaSource } from "./source";

export {
  type ConnectionConfig,
  connectionFields,
  connectionSchema,
  kafkajsConfig,
  registerCodecs,
} from "@qicore/kafka-common";
export { createKafkajsClient } from "./client/kafkajs";
export type * from "./client/types";
export {
  type RedpandaSourceConfig,
  type RedpandaSourceConfigInput,
  redpandaSourceConfigSchema,
  resolveTopics,
  type StartFrom,
} from "./config";
export {
  DEAD_LETTER_HEADER,
  type Decoded,
  deadLetterMessage,
  decodeMessage,
  HEADER,
  type Rejection,
} from "./decode";
export { kafkaErrorType, kafkaFailure } from "./errors";
export { checkpointOffsets, type KafkaCheckpoint } from "./offsets";
export {
  createRedpandaSource,
  type PartitionLag,
  parseRedpandaSourceConfig,
  type RedpandaSource,
  type RedpandaSourceOptions,
  redpandaSource,
} from "./source";
export type { FetchLag } from "./stream";

// Importing the package makes `type: redpanda` available to pipeline files as a source.
registerAdapter(redpandaSource);
