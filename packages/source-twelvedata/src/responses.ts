import { qiError } from "@qicore/core/adapter";
import { z } from "zod";

// The shapes this source reads, from Twelve Data's documented responses (see __fixtures__).
// Loose objects: fields not read here may come and go without breaking anything.

const decimalText = z.union([z.string(), z.number()]).transform(String);
const optionalText = z.string().nullable().optional();

export const quoteResponse = z.looseObject({
  symbol: z.string(),
  exchange: optionalText,
  mic_code: optionalText,
  currency: optionalText,
  datetime: optionalText,
  timestamp: z.number(),
  last_quote_at: z.number().nullable().optional(),
  close: decimalText,
  volume: decimalText.nullable().optional(),
  percent_change: decimalText.nullable().optional(),
  rolling_1d_change: decimalText.nullable().optional(),
  rolling_7d_change: decimalText.nullable().optional(),
});
export type QuoteResponse = z.output<typeof quoteResponse>;

export const priceResponse = z.looseObject({ price: decimalText });
export type PriceResponse = z.output<typeof priceResponse>;

export const timeSeriesResponse = z.looseObject({
  meta: z.looseObject({
    symbol: z.string(),
    interval: z.string(),
    currency: optionalText,
    exchange_timezone: optionalText,
    exchange: optionalText,
    mic_code: optionalText,
    type: optionalText,
  }),
  values: z.array(
    z.looseObject({
      datetime: z.string(),
      open: decimalText,
      high: decimalText,
      low: decimalText,
      close: decimalText,
      volume: decimalText.nullable().optional(),
    }),
  ),
});
export type TimeSeriesResponse = z.output<typeof timeSeriesResponse>;

export const apiUsageResponse = z.looseObject({
  timestamp: optionalText,
  current_usage: z.number().nullable().optional(),
  plan_limit: z.number().nullable().optional(),
  daily_usage: z.number().nullable().optional(),
  plan_daily_limit: z.number().nullable().optional(),
  plan_category: optionalText,
});
export type ApiUsageResponse = z.output<typeof apiUsageResponse>;

/** The body in the shape asked for, or a QiError naming what did not fit (an API change: not retried). */
export function expectShape<T extends z.ZodType>(schema: T, body: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
    .join("; ");
  throw qiError(
    "EXTERNAL_ERROR",
    `twelvedata source: ${what} answered in a shape this source does not know (${issues})`,
    { context: { what } },
  );
}
