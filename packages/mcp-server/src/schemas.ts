import { type RecordKind, recordJsonSchema, type SchemaIo } from "@qicore/core";
import { z } from "zod";

/**
 * A record kind's zod schema rebuilt from the DSL's published JSON Schema, so tool
 * schemas describe records exactly as `@qicore/core/schemas` does (the DSL's own zod
 * schemas accept `Date` objects, which have no JSON Schema form).
 */
export function recordSchema(kind: RecordKind, io: SchemaIo): z.ZodType {
  const { $schema: _schema, $id: _id, ...json } = recordJsonSchema(kind, { io }) as Record<string, unknown>;
  return z.fromJSONSchema(json as Parameters<typeof z.fromJSONSchema>[0]);
}

const decimalText = z.string().describe("Decimal number as text, exact (no float rounding).");
const isoTime = z.string().describe("ISO-8601 UTC time.");

/** A candle computed from stored prices by time buckets. */
export const candleSchema = z.object({
  coinId: z.string(),
  exchangeId: z.string(),
  timeframe: z.string().describe("Candle width, e.g. `1h`."),
  timestamp: isoTime.describe("Open time of the bucket; the candle covers [timestamp, timestamp + width)."),
  open: decimalText,
  high: decimalText,
  low: decimalText,
  close: decimalText,
  samples: z.number().int().describe("Prices the candle was built from."),
});

export const rangeOutput = {
  start: isoTime.describe("Start of the range (inclusive)."),
  end: isoTime.describe("End of the range (exclusive)."),
};

export const pageOutput = {
  count: z.number().int().describe("Rows returned."),
  truncated: z
    .boolean()
    .describe("True when the limit cut the result: ask for a shorter range for the rest."),
};
