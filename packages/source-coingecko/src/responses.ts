import { qiError } from "@qicore/core/adapter";
import { z } from "zod";

// Shapes of the CoinGecko responses this source reads, after CoinGecko's OpenAPI
// specification. Loose objects: fields CoinGecko adds later are ignored, fields this
// source relies on are checked, so a changed API is a clear error and not bad records.

const amount = z.number().nullable().optional();

export const simplePriceResponse = z.record(
  z.string(),
  z.looseObject({
    usd: amount,
    usd_market_cap: amount,
    usd_24h_vol: amount,
    usd_24h_change: amount,
    btc: amount,
    last_updated_at: amount,
  }),
);
export type SimplePriceResponse = z.output<typeof simplePriceResponse>;

export const coinsMarketsResponse = z.array(
  z.looseObject({
    id: z.string(),
    symbol: z.string(),
    current_price: amount,
    market_cap: amount,
    total_volume: amount,
    price_change_percentage_24h: amount,
    price_change_percentage_24h_in_currency: amount,
    price_change_percentage_7d_in_currency: amount,
    last_updated: z.string().nullable().optional(),
  }),
);
export type CoinsMarketsResponse = z.output<typeof coinsMarketsResponse>;

/** `[close time ms, open, high, low, close]`. */
export const ohlcResponse = z.array(z.tuple([z.number(), z.number(), z.number(), z.number(), z.number()]));
export type OhlcResponse = z.output<typeof ohlcResponse>;

const series = z.array(z.tuple([z.number(), z.number().nullable()]));
export const marketChartResponse = z.looseObject({
  prices: series,
  market_caps: series.optional(),
  total_volumes: series.optional(),
});
export type MarketChartResponse = z.output<typeof marketChartResponse>;

export const globalResponse = z.looseObject({
  data: z.looseObject({
    active_cryptocurrencies: z.number().int(),
    markets: z.number().int(),
    total_market_cap: z.record(z.string(), z.number()),
    total_volume: z.record(z.string(), z.number()),
    market_cap_percentage: z.record(z.string(), z.number()),
    market_cap_change_percentage_24h_usd: z.number(),
    updated_at: z.number(),
  }),
});
export type GlobalResponse = z.output<typeof globalResponse>;

export const keyResponse = z.looseObject({
  plan: z.string().optional(),
  rate_limit_request_per_minute: z.number().optional(),
  api_key_rate_limit_request_per_minute: z.number().optional(),
});

export const pingResponse = z.looseObject({ gecko_says: z.string() });

/** Checks a parsed body against its expected shape; a mismatch names the endpoint and the field. */
export function expectShape<T>(schema: z.ZodType<T>, body: unknown, url: string): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join(".") : "(body)";
    return `${path}: ${issue.message}`;
  });
  throw qiError(
    "EXTERNAL_ERROR",
    `coingecko source: GET ${url} returned JSON of an unexpected shape (${issues.join("; ")}${parsed.error.issues.length > 3 ? "; …" : ""})`,
    { context: { url, issues } },
  );
}
