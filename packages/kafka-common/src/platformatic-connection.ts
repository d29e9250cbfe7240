import type { ConnectionConfig } from "./connection";

/**
 * The part of @platformatic/kafka's client options a connection block fills in. Spelled out
 * here rather than imported so the published declarations never load that library's own
 * types: they do not compile with skipLibCheck off (an untyped `debug` import, and a
 * diagnostics-channel generic that newer @types/node rejects).
 */
export interface PlatformaticConnectionOptions {
  clientId: string;
  bootstrapBrokers: string[];
  connectTimeout: number;
  requestTimeout: number;
  tls?: Record<string, never>;
  sasl?: {
    mechanism: "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512";
    username: string;
    password: string;
  };
}

const SASL_MECHANISM: Record<
  NonNullable<ConnectionConfig["sasl"]>["mechanism"],
  NonNullable<PlatformaticConnectionOptions["sasl"]>["mechanism"]
> = {
  plain: "PLAIN",
  "scram-sha-256": "SCRAM-SHA-256",
  "scram-sha-512": "SCRAM-SHA-512",
};

/**
 * A connection block as @platformatic/kafka's client options: brokers, client id, timeouts,
 * TLS and SASL. The producer thread and source-redpanda's group administration share it.
 */
export function platformaticConnectionOptions(connection: ConnectionConfig): PlatformaticConnectionOptions {
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
