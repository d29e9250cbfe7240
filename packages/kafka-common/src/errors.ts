import { QiError, qiError } from "@qicore/core/adapter";

/** The brokers refuse a message or request for its size. */
const TOO_LARGE_TYPES = new Set(["MESSAGE_TOO_LARGE", "RECORD_LIST_TOO_LARGE"]);

/** Kafka error types that retrying cannot fix. */
const PERMANENT_TYPES = new Set([
  ...TOO_LARGE_TYPES,
  "INVALID_RECORD",
  "INVALID_TIMESTAMP",
  "POLICY_VIOLATION",
  "INVALID_TOPIC_EXCEPTION",
  "INVALID_REQUIRED_ACKS",
  "INVALID_REPLICATION_FACTOR",
  "INVALID_PARTITIONS",
  "INVALID_CONFIG",
  "UNSUPPORTED_COMPRESSION_TYPE",
  "UNSUPPORTED_VERSION",
]);

const SECURITY_TYPES = new Set([
  "TOPIC_AUTHORIZATION_FAILED",
  "CLUSTER_AUTHORIZATION_FAILED",
  "GROUP_AUTHORIZATION_FAILED",
  "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
  "SASL_AUTHENTICATION_FAILED",
  "ILLEGAL_SASL_STATE",
  "UNSUPPORTED_SASL_MECHANISM",
]);

interface KafkaLikeError {
  name?: string;
  message?: string;
  type?: string;
  retriable?: boolean;
  cause?: unknown;
  originalError?: unknown;
}

/** The innermost Kafka protocol error type (`MESSAGE_TOO_LARGE`) of a kafkajs error, if any. */
export function kafkaErrorType(thrown: unknown): string | undefined {
  let current: unknown = thrown;
  for (let depth = 0; depth < 5 && current && typeof current === "object"; depth++) {
    const error = current as KafkaLikeError;
    if (typeof error.type === "string") return error.type;
    current = error.cause ?? error.originalError;
  }
  return undefined;
}

/** Whether the brokers refused a message or request for its size. */
export function isTooLarge(thrown: unknown): boolean {
  const type = kafkaErrorType(thrown);
  return type !== undefined && TOO_LARGE_TYPES.has(type);
}

/**
 * A QiError for a failed Kafka operation: NETWORK for connection trouble, SECURITY for
 * authentication and authorization, EXTERNAL otherwise. Retryable unless Kafka says the
 * request itself is wrong or access is refused: everything a broker restart, a leader or
 * coordinator move or a timeout produces passes, and the pipeline waits it out
 * (delivery.retry) instead of dead-lettering valid records. `what` says what failed, in the
 * adapter's words; `adapter` names the adapter in the message and the context.
 */
export function kafkaFailure(
  thrown: unknown,
  what: string,
  context: Record<string, unknown>,
  adapter: string,
): QiError {
  if (QiError.isInstance(thrown)) return thrown.withContext(context);
  const error = (thrown ?? {}) as KafkaLikeError;
  const type = kafkaErrorType(thrown);
  const name = error.name ?? "Error";
  const connection =
    /Connection|NumberOfRetriesExceeded|RequestTimeout|BrokerNotFound|NoBrokerAvailable/.test(name) &&
    type === undefined;
  // kafkajs reports a refused login by name (KafkaJSSASLAuthenticationError) without a protocol type.
  const security = (type !== undefined && SECURITY_TYPES.has(type)) || /SASLAuthentication/.test(name);
  const category = security ? "SECURITY" : connection ? "NETWORK" : "EXTERNAL";
  const retryable = type ? !PERMANENT_TYPES.has(type) && !security : category !== "SECURITY";
  const detail = error.message ?? String(thrown);
  // The category and retryable flag come from the failure, not from the code's defaults.
  return qiError(
    category === "NETWORK" ? "NETWORK_ERROR" : "EXTERNAL_ERROR",
    `${adapter}: ${what}: ${detail}${type && !detail.includes(type) ? ` (${type})` : ""}`,
    {
      category,
      retryable,
      context: { adapter, ...(type ? { kafkaError: type } : {}), ...context },
      cause: thrown,
    },
  );
}
