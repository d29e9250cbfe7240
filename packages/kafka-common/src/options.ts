import { qiError } from "@qicore/core/adapter";
import type { z } from "zod";

/**
 * Parses a Kafka adapter's options with its schema, throwing a CONFIG_INVALID QiError that
 * lists every problem (path and message), named after the adapter.
 */
export function parseKafkaOptions<Schema extends z.ZodType>(
  schema: Schema,
  options: unknown,
  adapter: string,
): z.output<Schema> {
  const parsed = schema.safeParse(options);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join(".") || "(config)"}: ${issue.message}`,
  );
  throw qiError("CONFIG_INVALID", `${adapter}: invalid options: ${problems.join("; ")}`, {
    context: { problems },
  });
}

/**
 * The options to parse for an embedded adapter: an injected client (or kafkajs instance)
 * brings its own connection, but the schema still wants a broker list, so a placeholder
 * stands in when none is given.
 */
export function withInjectedBrokers<Raw extends { brokers?: unknown }>(raw: Raw, injected: boolean): Raw {
  return injected && raw.brokers === undefined ? { ...raw, brokers: "injected:9092" } : raw;
}
