import { registerAdapter } from "@qicore/core/adapter";
import { redpandaTarget } from "./target";

// The shared Kafka plumbing, still exported here for code that imported it from the target.
export {
  type ConnectionConfig,
  connectionFields,
  connectionSchema,
  DEAD_LETTER_CONTENT_TYPE,
  DEAD_LETTER_HEADER,
  HEADER,
  JSON_CONTENT_TYPE,
  kafkajsConfig,
  registerCodecs,
} from "@qicore/kafka-common";
export { createKafkajsClient } from "./client/kafkajs";
export type * from "./client/types";
export {
  type RedpandaTargetConfig,
  type RedpandaTargetConfigInput,
  redpandaTargetConfigSchema,
  topicName,
} from "./config";
export { encodeDeadLetter, RecordEncoder } from "./encode";
export { kafkaErrorType, kafkaFailure } from "./errors";
export {
  createRedpandaTarget,
  parseRedpandaTargetConfig,
  plannedTopics,
  type RedpandaTarget,
  type RedpandaTargetOptions,
  redpandaTarget,
} from "./target";
export { describeDrift, type TopicPlan } from "./topics";

// Importing the package makes `type: redpanda` available to pipeline files as a target.
registerAdapter(redpandaTarget);
