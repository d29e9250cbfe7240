import { registerAdapter } from "@qicore/core";
import { redpandaTarget } from "./target";

export { registerCodecs } from "./client/codecs";
export { createKafkajsClient, kafkajsConfig } from "./client/kafkajs";
export type * from "./client/types";
export {
  type RedpandaTargetConfig,
  type RedpandaTargetConfigInput,
  redpandaTargetConfigSchema,
  topicName,
} from "./config";
export { type ConnectionConfig, connectionFields, connectionSchema } from "./connection";
export { encodeDeadLetter, RecordEncoder } from "./encode";
export { kafkaErrorType, kafkaFailure } from "./errors";
export { DEAD_LETTER_CONTENT_TYPE, DEAD_LETTER_HEADER, HEADER, JSON_CONTENT_TYPE } from "./headers";
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
