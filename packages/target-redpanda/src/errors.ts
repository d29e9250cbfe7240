import type { QiError } from "@qicore/core/adapter";
import { kafkaErrorType, kafkaFailure as sharedKafkaFailure } from "@qicore/kafka-common";

export { isTooLarge, kafkaErrorType } from "@qicore/kafka-common";

/** The adapter's name in messages. */
export const ADAPTER_NAME = "target-redpanda";

/**
 * The producer's idempotence state (its id, epoch or sequence numbers) is no longer the
 * brokers': sending again on the same producer would fail the same way, so the request goes
 * again on a new producer. Passing, like an outage: nothing is wrong with the records.
 */
const PRODUCER_STATE_TYPES = new Set([
  "OUT_OF_ORDER_SEQUENCE_NUMBER",
  "DUPLICATE_SEQUENCE_NUMBER",
  "UNKNOWN_PRODUCER_ID",
  "INVALID_PRODUCER_EPOCH",
  "INVALID_PRODUCER_ID_MAPPING",
  "PRODUCER_FENCED",
]);

/** Whether the failure means the producer's idempotence state is spent (see PRODUCER_STATE_TYPES). */
export function needsNewProducer(thrown: unknown): boolean {
  const type = kafkaErrorType(thrown);
  return type !== undefined && PRODUCER_STATE_TYPES.has(type);
}

/**
 * The Kafka error mapping shared with @qicore/source-redpanda (NETWORK, SECURITY or
 * EXTERNAL; retryable unless Kafka says the request itself is wrong), named after this target.
 */
export function kafkaFailure(
  thrown: unknown,
  what: string,
  context: Record<string, unknown> = {},
  adapter = ADAPTER_NAME,
): QiError {
  return sharedKafkaFailure(thrown, what, context, adapter);
}
