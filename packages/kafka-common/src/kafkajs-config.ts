import type { Logger } from "@qicore/core/adapter";
import kafkajs, { type KafkaConfig, type LogEntry, type SASLOptions } from "kafkajs";
import type { ConnectionConfig } from "./connection";

const { logLevel } = kafkajs;

/** The kafkajs settings for a connection block (brokers, TLS, SASL, timeouts, retries). */
export function kafkajsConfig(connection: ConnectionConfig, logger: Logger): KafkaConfig {
  return {
    clientId: connection.clientId,
    brokers: connection.brokers,
    ssl: connection.ssl,
    // A copy: kafkajs hangs its authentication provider on the object it is given.
    ...(connection.sasl ? { sasl: { ...connection.sasl } as SASLOptions } : {}),
    connectionTimeout: connection.connectionTimeoutMs,
    requestTimeout: connection.requestTimeoutMs,
    retry: { retries: connection.retries, initialRetryTime: 300, maxRetryTime: 30_000 },
    logLevel: logLevel.WARN,
    logCreator: kafkajsLogCreator(logger),
  };
}

/**
 * kafkajs' lines about single attempts while brokers are unreachable or moving (a refused
 * connection, an error answer it retries, a consumer crash the source recovers from): one
 * per request and retry, dozens a second during an outage. The pipeline reports the outage
 * itself (readiness, a warning when it starts and every 30 s, one when it ends), so these
 * go to debug.
 */
const ATTEMPT_CHATTER =
  /^(Connection error|Connection timeout|Failed to connect to seed broker|Response \w+\(key: \d+, version: \d+\)|Failed to send messages|Crash: |Restarting the consumer|The group is rebalancing|The coordinator is not aware of this member|Caught error when disconnecting the consumer|Error while stopping the consumer)/;

/** Routes kafkajs' own log lines into the pipeline's logger (warnings and errors only). */
export function kafkajsLogCreator(logger: Logger): KafkaConfig["logCreator"] {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      // Intended: retries are bounded so a dead cluster fails the write instead of hanging
      // inside kafkajs; the pipeline's delivery.retry waits the outage out, and the send
      // queue sends the failed request again unchanged, so the brokers drop what they had.
      if (message.startsWith("Limiting retries for the idempotent producer")) return;
      const text = `kafkajs: ${message}`;
      if (ATTEMPT_CHATTER.test(message)) logger.debug(text, fields);
      else if (level === logLevel.ERROR) logger.error(text, fields);
      else if (level === logLevel.WARN) logger.warn(text, fields);
      else logger.debug(text, fields);
    };
}
