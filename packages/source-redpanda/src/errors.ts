import type { QiError } from "@qicore/core/adapter";
import { kafkaFailure as sharedKafkaFailure } from "@qicore/kafka-common";

export { kafkaErrorType } from "@qicore/kafka-common";

/** The adapter's name in messages. */
export const ADAPTER_NAME = "source-redpanda";

/**
 * The Kafka error mapping shared with @qicore/target-redpanda (NETWORK, SECURITY or
 * EXTERNAL; retryable unless Kafka says the request itself is wrong), named after this source.
 */
export function kafkaFailure(
  thrown: unknown,
  what: string,
  context: Record<string, unknown> = {},
  adapter = ADAPTER_NAME,
): QiError {
  return sharedKafkaFailure(thrown, what, context, adapter);
}

/** Whether an error or one it nests (a cause, one of several attempts) says `text`. */
export function mentions(thrown: unknown, text: string): boolean {
  let pending: unknown[] = [thrown];
  for (let depth = 0; depth < 6 && pending.length > 0; depth++) {
    const next: unknown[] = [];
    for (const item of pending) {
      if (!item || typeof item !== "object") continue;
      const error = item as {
        message?: unknown;
        apiId?: unknown;
        type?: unknown;
        errors?: unknown;
        cause?: unknown;
      };
      if (
        [error.message, error.apiId, error.type].some(
          (value) => typeof value === "string" && value.includes(text),
        )
      )
        return true;
      if (Array.isArray(error.errors)) next.push(...error.errors);
      if (error.cause) next.push(error.cause);
    }
    pending = next;
  }
  return false;
}
