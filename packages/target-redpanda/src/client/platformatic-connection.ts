import type { BaseOptions, SASLMechanismValue } from "@platformatic/kafka";
import type { ConnectionConfig } from "../connection";

const SASL_MECHANISM: Record<NonNullable<ConnectionConfig["sasl"]>["mechanism"], SASLMechanismValue> = {
  plain: "PLAIN",
  "scram-sha-256": "SCRAM-SHA-256",
  "scram-sha-512": "SCRAM-SHA-512",
};

/**
 * A connection block as @platformatic/kafka's client options: brokers, client id, timeouts,
 * TLS and SASL. The producer thread and source-redpanda's group administration share it.
 */
export function platformaticConnectionOptions(
  connection: ConnectionConfig,
): Pick<BaseOptions, "clientId" | "bootstrapBrokers" | "connectTimeout" | "requestTimeout" | "tls" | "sasl"> {
  return {
    clientId: connection.clientId,
    bootstrapBrokers: connection.brokers,
    connectTimeout: connection.connectionTimeoutMs,
    requestTimeout: connection.requestTimeoutMs,
    ...(connection.ssl ? { tls: {} } : {}),
    ...(connection.sasl
      ? {
          sasl: {
            mechanism: SASL_MECHANISM[connection.sasl.mechanism],
            username: connection.sasl.username,
            password: connection.sasl.password,
          },
        }
      : {}),
  };
}
