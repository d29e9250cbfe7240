import type { QiError } from "@qicore/core";
import { kafkaFailure as sharedKafkaFailure } from "@qicore/target-redpanda/kafka";

export { kafkaErrorType } from "@qicore/target-redpanda/kafka";

/** The adapter's name in messages. */
export const ADAPTER_NAME = "source-redpanda";

/**
 * The Kafka error mapping shared with @qicore/target-redpanda (NETWORK, SECURITY or
 * EXTERNAL; retryable unless Kafka says the request itself is wrong), named after this source.
 */
export function kafkaFailure(
  ...[thrown, what, context, adapter = ADAPTER_NAME]: Parameters<typeof sharedKafkaFailure>
): QiError {
  return sharedKafkaFailure(thrown, what, context, adapter);
}
