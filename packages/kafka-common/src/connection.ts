import { z } from "zod";

/**
 * How to reach the brokers. @qicore/source-redpanda and @qicore/target-redpanda accept the same
 * block, so a pipeline file can share it (a YAML anchor) between its Kafka source and target.
 */
export const connectionFields = {
  brokers: z
    .union([z.string(), z.array(z.string())])
    .transform((value) =>
      (Array.isArray(value) ? value : value.split(","))
        .map((broker) => broker.trim())
        .filter((broker) => broker.length > 0),
    )
    .pipe(
      z
        .array(z.string().regex(/^[^\s:]+:\d{1,5}$/, "a broker as host:port, e.g. localhost:9092"))
        .min(1, "at least one broker (host:port)"),
    )
    .describe(
      "Bootstrap brokers: a list of host:port, or one comma-separated string (handy with ${KAFKA_BROKERS}).",
    ),
  clientId: z
    .string()
    .min(1)
    .default("qicore")
    .describe("Client id the brokers see in their logs and quotas."),
  ssl: z.boolean().default(false).describe("Connect with TLS (system CA certificates)."),
  sasl: z
    .object({
      mechanism: z.enum(["plain", "scram-sha-256", "scram-sha-512"]),
      username: z.string().min(1),
      password: z.string().min(1),
    })
    .strict()
    .optional()
    .describe("SASL authentication; usually with ssl: true."),
  connectionTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(3000)
    .describe("Give up opening a broker connection after this long."),
  requestTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(30_000)
    .describe("Give up waiting for a broker's answer after this long."),
  retries: z
    .number()
    .int()
    .min(0)
    .max(30)
    .default(5)
    .describe("Retries of a failed request (with exponential backoff) before the operation fails."),
};

export const connectionSchema = z.object(connectionFields).strict();

export type ConnectionConfig = z.output<typeof connectionSchema>;
