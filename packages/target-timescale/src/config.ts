import { z } from "zod";

/**
 * A schema, table or other SQL name taken from config. Only lowercase letters,
 * digits and underscores (what Postgres folds unquoted names to), at most 63 bytes,
 * so a name can be quoted safely and never needs escaping.
 */
export const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export const sqlIdentifier = z
  .string()
  .regex(SQL_IDENTIFIER, "a SQL name: lowercase letters, digits and '_', starting with a letter or '_'");

const INTERVAL_UNITS: Record<string, string> = {
  m: "minutes",
  min: "minutes",
  minute: "minutes",
  minutes: "minutes",
  h: "hours",
  hour: "hours",
  hours: "hours",
  d: "days",
  day: "days",
  days: "days",
  w: "weeks",
  week: "weeks",
  weeks: "weeks",
  month: "months",
  months: "months",
  y: "years",
  year: "years",
  years: "years",
};
const INTERVAL_TEXT = /^(\d{1,6})\s*([a-z]+)$/;

/** `7d`, `7 days`, `12h`, `1 week` → a Postgres interval literal (`7 days`); undefined when malformed. */
export function toPostgresInterval(value: string): string | undefined {
  const match = INTERVAL_TEXT.exec(value.trim().toLowerCase());
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = INTERVAL_UNITS[match[2] as string];
  if (!unit || amount <= 0) return undefined;
  return `${amount} ${unit}`;
}

/** A time span such as `1d`, `7 days` or `1 month`, normalised to a Postgres interval literal. */
export const intervalText = z.string().transform((value, context) => {
  const interval = toPostgresInterval(value);
  if (interval === undefined) {
    context.addIssue({
      code: "custom",
      message: `expected a time span such as 1d, 12h, "7 days" or "1 month", got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  return interval;
});

const CONNECTION_HINT =
  'a PostgreSQL URL (postgres://user:password@host:5432/db), "embedded" (in-process PGlite, in memory) or "embedded:<dir>" (PGlite kept in a folder)';

export const connectionString = z
  .string()
  .min(1)
  .refine(
    (value) => value === "embedded" || value.startsWith("embedded:") || /^postgres(ql)?:\/\//.test(value),
    { message: `expected ${CONNECTION_HINT}` },
  );

const poolSchema = z
  .object({
    max: z.number().int().min(1).max(200).default(10).describe("Most connections the pool opens."),
    idleTimeoutMs: z
      .number()
      .int()
      .nonnegative()
      .default(30_000)
      .describe("Close a connection idle this long (0: never)."),
    connectionTimeoutMs: z
      .number()
      .int()
      .nonnegative()
      .default(10_000)
      .describe("Give up opening a connection after this long (0: wait forever)."),
  })
  .strict();

const compressionSchema = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe("Compress hypertables (segment by coin, order by time); Timescale-License edition only."),
    after: intervalText.default("7 days").describe("Compress chunks older than this (compression policy)."),
  })
  .strict();

const retentionSchema = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe("Drop old chunks with a retention policy; Timescale-License edition only."),
    after: intervalText.default("365 days").describe("Drop chunks older than this."),
  })
  .strict();

const candlesSchema = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        "Maintain 1h and 1d candles built from prices as continuous aggregates; Timescale-License edition only.",
      ),
    refreshEvery: intervalText
      .default("30 minutes")
      .describe("How often the refresh policy of the continuous aggregates runs."),
  })
  .strict();

const retrySchema = z
  .object({
    attempts: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(4)
      .describe(
        "Tries, at connect, of the schema migration and of checkpoint reads and writes when the database fails transiently. Batch writes are not retried here: the pipeline's delivery.retry does that, once.",
      ),
    initialDelayMs: z.number().int().nonnegative().default(200).describe("First back-off delay."),
    maxDelayMs: z.number().int().nonnegative().default(5_000).describe("Longest back-off delay."),
  })
  .strict();

/** The `config` block of a `timescale` target in a pipeline file. */
export const timescaleConfigSchema = z
  .object({
    connectionString: connectionString.default("embedded").describe(CONNECTION_HINT),
    schema: sqlIdentifier.default("public").describe("Database schema holding QiCore's tables."),
    timescale: z
      .enum(["auto", "require", "off"])
      .default("auto")
      .describe(
        "auto: use TimescaleDB when the extension is available; require: fail without it; off: plain tables.",
      ),
    migrate: z.boolean().default(true).describe("Create and upgrade tables when the target connects."),
    pool: poolSchema.prefault({}).describe("Connection pool (PostgreSQL URLs only)."),
    batchSize: z.number().int().min(1).max(50_000).default(2_000).describe("Rows per upsert statement."),
    bulkThreshold: z
      .number()
      .int()
      .min(1)
      .default(500)
      .describe(
        "Writes with more rows than this use the COPY path instead of multi-row upserts. The default sends every batch of more than 500 records (a pipeline's default batch is 5,000) through COPY: straight into the table while its keys are new, else through a staging table merged with ON CONFLICT, several times faster than multi-row upserts.",
      ),
    writeConcurrency: z
      .number()
      .int()
      .min(1)
      .max(16)
      .optional()
      .describe(
        "Writes in flight at once, each on a connection of its own; the pipeline never runs two that share a primary key at once, so a key's writes stay in read order. Default 3 on a PostgreSQL URL (while one write waits on the database the next is encoded and sent), 1 on embedded PGlite (one connection). At most pool.max.",
      ),
    copyBatchSize: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(50_000)
      .describe("Rows per COPY transaction on the bulk path."),
    chunkInterval: intervalText
      .optional()
      .describe(
        "Time span of one hypertable chunk; by default 1 day for prices, 7 for candles, 30 for analytics.",
      ),
    compression: compressionSchema.prefault({}),
    retention: retentionSchema.prefault({}),
    candles: candlesSchema.prefault({}),
    retry: retrySchema.prefault({}),
    maxRows: z
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .default(10_000)
      .describe("Most rows one reader query returns (a query's own limit is capped to this)."),
    applicationName: z
      .string()
      .min(1)
      .max(63)
      .default("qicore-target-timescale")
      .describe("application_name of the connections, to find them in pg_stat_activity."),
  })
  .strict()
  .superRefine((config, context) => {
    if (config.writeConcurrency !== undefined && config.writeConcurrency > config.pool.max)
      context.addIssue({
        code: "custom",
        path: ["writeConcurrency"],
        message: `${config.writeConcurrency} writes in flight need as many connections; pool.max is ${config.pool.max}`,
      });
  });

/** The validated config, defaults applied. */
export type TimescaleConfig = z.output<typeof timescaleConfigSchema>;
/** What a pipeline file or a caller may give. */
export type TimescaleConfigInput = z.input<typeof timescaleConfigSchema>;
