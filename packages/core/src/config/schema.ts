import { z } from "zod";
import { RECORD_KINDS } from "../dsl/kinds";
import { parseDuration } from "../util/duration";

const DURATION_TEXT = /^\d+(?:\.\d+)?\s*(?:ms|s|m|h|d|w)$/;
const DURATION_HINT = "expected a duration such as 200ms, 10s, 5m, 1h, 1d or a number of milliseconds";

/**
 * A duration: `"200ms"`, `"10s"`, `"5m"`, `"1h"`, `"1d"`, `"1w"` or a number of
 * milliseconds; parses to milliseconds. Adapters may use it in their config schemas.
 */
export const durationSchema = z
  .union([z.string().regex(DURATION_TEXT, DURATION_HINT), z.number().nonnegative(DURATION_HINT)], {
    error: DURATION_HINT,
  })
  .transform((value) => parseDuration(value) as number)
  .describe('A duration: "200ms", "10s", "5m", "1h", "1d" or a number of milliseconds.');

const idSchema = z
  .string()
  .regex(/^[a-z0-9_-]+$/, "an id uses lowercase letters, digits, - and _")
  .describe("Unique id of this source or target in the pipeline; routes refer to it.");

const kindsSchema = z.array(z.enum(RECORD_KINDS)).min(1, "list at least one record kind");

const typeSchema = z
  .string()
  .min(1, "name an adapter: a registered name, ./path/to/adapter.ts or a package name")
  .describe(
    "Adapter: a registered name (synthetic, timescale ...), a file path (./my-source.ts) or a package name.",
  );

const configSchema = z
  .record(z.string(), z.unknown())
  .describe("Options of the adapter, checked by its own config schema.");

const processorSchema = z.strictObject({
  type: typeSchema.describe(
    "Processor: a built-in (candles, resample, filter, select, quarantine, consolidate, dedupe), a file path or a package name.",
  ),
  id: idSchema.optional().describe("A name for this step in metrics and the dashboard; its type by default."),
  config: configSchema.optional(),
});

const processorsSchema = z
  .array(processorSchema)
  .min(1, "list at least one processor, or leave the key out")
  .describe(
    "Processing steps applied in order: each takes records of the kinds it consumes and hands on what it emits; other kinds pass it untouched.",
  );

const sourceSchema = z.strictObject({
  id: idSchema,
  type: typeSchema,
  config: configSchema.optional(),
  schedule: z
    .strictObject({ every: durationSchema.describe("Interval between runs of the source's read().") })
    .optional()
    .describe("Re-run a polling source every interval."),
  kinds: kindsSchema.optional().describe("Record kinds to take from this source; all it emits by default."),
  processors: processorsSchema
    .optional()
    .describe("Applied to everything this source emits, before its routes."),
});

const targetSchema = z.strictObject({
  id: idSchema,
  type: typeSchema,
  config: configSchema.optional(),
});

const routeSchema = z.strictObject({
  from: idSchema.describe("Id of a source."),
  to: z.array(idSchema).min(1, "list at least one target id").describe("Ids of targets."),
  kinds: kindsSchema.optional().describe("Record kinds routed; everything both sides support by default."),
  processors: processorsSchema
    .optional()
    .describe("Applied to this route's records, after the source's own processors."),
});

/** Defaults of the optional sections, as the documentation states them. */
export const PIPELINE_DEFAULTS = {
  batch: { maxRecords: 5000, maxWait: "200ms", sendWhenIdle: true },
  retry: { initialDelay: "100ms", maxDelay: "5s" },
  deadLetterPath: ".qicore/dead-letters.jsonl",
  maxInFlightRecords: 10_000,
  statePath: ".qicore/state.json",
  metrics: { host: "127.0.0.1", port: 9464 },
  logging: { level: "info", format: "pretty" },
} as const;

const deliverySchema = z.strictObject({
  batch: z
    .strictObject({
      maxRecords: z.number().int().positive().default(PIPELINE_DEFAULTS.batch.maxRecords),
      maxWait: durationSchema.prefault(PIPELINE_DEFAULTS.batch.maxWait),
      sendWhenIdle: z
        .boolean()
        .default(PIPELINE_DEFAULTS.batch.sendWhenIdle)
        .describe(
          "A target with a write slot free gets what is buffered at once; false: wait maxWait for the batch to fill.",
        ),
    })
    .prefault({})
    .describe(
      "A target gets a batch when it holds maxRecords records, when it has a write slot free (sendWhenIdle), or maxWait after the first.",
    ),
  retry: z
    .strictObject({
      maxAttempts: z
        .number()
        .int()
        .min(1)
        .optional()
        .describe("Attempts in all before the run fails; default: no limit (outages are waited out)."),
      initialDelay: durationSchema.prefault(PIPELINE_DEFAULTS.retry.initialDelay),
      maxDelay: durationSchema.prefault(PIPELINE_DEFAULTS.retry.maxDelay),
      maxElapsed: durationSchema
        .optional()
        .describe("How long failures may last before the run fails, e.g. 15m; default: no limit."),
    })
    .superRefine((retry, context) => {
      if (retry.initialDelay > retry.maxDelay) {
        context.addIssue({
          code: "custom",
          path: ["initialDelay"],
          message: `initialDelay (${retry.initialDelay}ms) is longer than maxDelay (${retry.maxDelay}ms)`,
        });
      }
    })
    .prefault({})
    .describe(
      "Retries of passing failures (connection lost, broker or database restarting, timeouts): exponential backoff with jitter until they pass, sources paused meanwhile. A bound (maxAttempts, maxElapsed) makes a longer outage fail the run; valid records are never dead-lettered for an outage.",
    ),
  deadLetter: z
    .strictObject({
      target: idSchema.optional().describe("Id of a target that stores dead letters."),
      path: z.string().min(1).optional().describe("A JSON-lines file, relative to the pipeline file."),
    })
    // Exactly one of the two keys, for editors too (the refinement below has no JSON Schema form).
    .meta({ minProperties: 1, maxProperties: 1 })
    .superRefine((value, context) => {
      if ((value.target === undefined) === (value.path === undefined)) {
        context.addIssue({ code: "custom", message: "give either target (a target id) or path (a file)" });
      }
    })
    .prefault({ path: PIPELINE_DEFAULTS.deadLetterPath })
    .describe("Where records go that still fail after their retries."),
  maxInFlightRecords: z
    .number()
    .int()
    .positive()
    .default(PIPELINE_DEFAULTS.maxInFlightRecords)
    .describe("Records read but not yet written; sources pause at this bound (backpressure)."),
});

const stateSchema = z
  .discriminatedUnion(
    "store",
    [
      z.strictObject({
        store: z
          .literal("auto")
          .describe("With the data: in the first target that can hold checkpoints, else in the file `path`."),
        path: z.string().min(1).default(PIPELINE_DEFAULTS.statePath),
      }),
      z.strictObject({
        store: z.literal("file"),
        path: z.string().min(1).default(PIPELINE_DEFAULTS.statePath),
      }),
      z.strictObject({
        store: z.literal("target"),
        target: idSchema.describe("Id of the target storing checkpoints."),
      }),
    ],
    {
      error: "expected store: auto or file (with an optional path) or store: target (with a target id)",
    },
  )
  .prefault({ store: "auto" })
  .describe(
    "Where source checkpoints are kept. By default (auto) with the data, so a new or emptied database is read from the start again instead of resuming past data it no longer has.",
  );

const healthSchema = z.strictObject({
  freshness: z
    .strictObject({
      maxAge: durationSchema,
      coins: z.array(z.string().min(1)).min(1).optional(),
    })
    .optional()
    .describe("Not ready while a coin's newest data is older than maxAge."),
});

/** The shape of a pipeline file (YAML or JSON). Unknown keys are errors. */
export const pipelineFileSchema = z.strictObject({
  $schema: z.string().optional().describe("JSON Schema of this file, for editors."),
  name: z
    .string()
    .regex(/^[a-z0-9-]+$/, "a pipeline name uses lowercase letters, digits and -")
    .describe("Name of the pipeline; labels its logs, metrics and checkpoints."),
  sources: z.array(sourceSchema).min(1, "a pipeline needs at least one source"),
  targets: z.array(targetSchema).min(1, "a pipeline needs at least one target"),
  routes: z
    .array(routeSchema)
    .optional()
    .describe(
      "Which record kinds go from which source to which targets; every source feeds every target by default.",
    ),
  delivery: deliverySchema.prefault({}),
  state: stateSchema,
  health: healthSchema.prefault({}),
  metrics: z
    .strictObject({
      host: z.string().min(1).default(PIPELINE_DEFAULTS.metrics.host),
      port: z.number().int().min(0).max(65_535).default(PIPELINE_DEFAULTS.metrics.port),
    })
    .optional()
    .describe("Prometheus endpoint served by `qicore run`."),
  logging: z
    .strictObject({
      level: z.enum(["debug", "info", "warn", "error", "silent"]).default(PIPELINE_DEFAULTS.logging.level),
      format: z.enum(["pretty", "json"]).default(PIPELINE_DEFAULTS.logging.format),
    })
    .prefault({}),
});

export type PipelineFile = z.output<typeof pipelineFileSchema>;
export type PipelineFileInput = z.input<typeof pipelineFileSchema>;
