import { parseDuration } from "@qicore/core/adapter";
import { z } from "zod";
import { INTERVALS } from "./intervals";
import { TWELVEDATA_PLANS } from "./plans";

const SYMBOL = /^[A-Za-z0-9][A-Za-z0-9./:^_-]{0,39}$/;

const symbolText = z
  .string()
  .trim()
  .regex(SYMBOL, "a Twelve Data symbol such as AAPL, EUR/USD or BTC/USD")
  .refine((value) => !value.includes(":"), {
    message: "give the exchange as `exchange`, not as SYMBOL:EXCHANGE",
  });

const instrumentObject = z.strictObject({
  symbol: symbolText.describe("Twelve Data's symbol: AAPL, EUR/USD, BTC/USD."),
  exchange: z
    .string()
    .min(1)
    .max(50)
    .optional()
    .describe("Exchange name (NASDAQ, Coinbase Pro) where the symbol trades on several; sent as `exchange`."),
  micCode: z
    .string()
    .regex(/^[A-Za-z0-9]{4}$/, "an ISO 10383 market identifier code such as XNAS")
    .optional()
    .describe(
      "ISO 10383 market identifier code (XNAS); sent as `mic_code` and used as the records' exchangeId.",
    ),
  assetClass: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,19}$/, "lowercase, e.g. equity, forex, crypto, index, commodity")
    .optional()
    .describe(
      "Asset class records carry; guessed when absent: a pair of currencies is forex, another pair crypto, a plain symbol equity.",
    ),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, "an ISO 4217 code such as USD")
    .optional()
    .describe("Currency the prices are in, for stocks; learned from Twelve Data's first answer when absent."),
  coinId: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, "a CoinGecko coin id such as bitcoin")
    .optional()
    .describe("CoinGecko id of a crypto pair's base; known for common coins (BTC → bitcoin)."),
});

const instrument = z
  .union([symbolText, instrumentObject])
  .transform((value) => (typeof value === "string" ? { symbol: value } : value));

const instrumentList = z.array(instrument).min(1, "list at least one instrument");

const durationText = (description: string) =>
  z
    .union([z.string(), z.number()])
    .transform((value, context) => {
      const ms = parseDuration(value);
      if (ms === undefined) {
        context.addIssue({
          code: "custom",
          message: `expected a duration such as 30s, 15m or 1h, got ${JSON.stringify(value)}`,
        });
        return z.NEVER;
      }
      return ms;
    })
    .describe(description);

/** A day (`2024-01-01`, midnight UTC) or an instant with an offset, as epoch milliseconds. */
const pointInTime = (description: string) =>
  z
    .union([z.iso.date(), z.iso.datetime({ offset: true })], {
      error: "expected a date (2024-01-01) or an ISO-8601 time with an offset (2024-01-01T12:00:00Z)",
    })
    .transform((value) => Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value))
    .describe(description);

const interval = z.enum(INTERVALS, {
  error: `an interval Twelve Data has: ${INTERVALS.join(", ")}`,
});

const quotesOptions = z.strictObject({
  endpoint: z
    .enum(["quote", "price"])
    .default("quote")
    .describe(
      "quote: /quote (last price with its time, day change); price: /price (the price only, stamped with the time of the answer). 1 credit per symbol either way.",
    ),
  every: durationText(
    "Least time between two refreshes; every read() when absent (the pipeline's `schedule` sets the pace).",
  ).optional(),
  instruments: instrumentList
    .optional()
    .describe("Instruments to quote; the top-level `instruments` when absent."),
});

const candlesOptions = z.strictObject({
  interval: interval.default("1min").describe("Candle width (`1month`: calendar months, timeframe `1mo`)."),
  outputsize: z
    .number()
    .int()
    .min(1)
    .max(5000)
    .default(30)
    .describe(
      "Candles asked for on the first poll (Twelve Data allows 1 to 5000); later polls ask for those since the last one.",
    ),
  every: durationText("Least time between two candle polls; every read() when absent.").optional(),
  instruments: instrumentList
    .optional()
    .describe("Instruments to poll; the top-level `instruments` when absent."),
});

const backfillOptions = z.strictObject({
  interval: interval.default("1day").describe("Candle width of the backfill."),
  from: pointInTime("Start of the backfill (inclusive, UTC)."),
  to: pointInTime("End of the backfill (exclusive); the time of the first run when absent.").optional(),
  requestsPerRead: z
    .number()
    .int()
    .positive()
    .default(5)
    .describe(
      "Backfill requests per read() when polling (`once: true` goes on until done or the day's credits are spent).",
    ),
  instruments: instrumentList
    .optional()
    .describe("Instruments to backfill; the top-level `instruments` when absent."),
});

export const twelvedataConfigSchema = z
  .strictObject({
    plan: z
      .enum(TWELVEDATA_PLANS)
      .default("basic")
      .describe(
        "basic (free: 8 credits a minute, 800 a day), grow, pro, ultra or enterprise (credits per minute only).",
      ),
    apiKey: z
      .string()
      .min(1)
      .optional()
      .describe(
        "API key; TWELVEDATA_API_KEY when absent. Sent in the Authorization header only, never logged.",
      ),
    baseUrl: z
      .url({ protocol: /^https?$/, error: "expected an http(s) URL such as https://api.twelvedata.com" })
      .optional()
      .describe("API root for a proxy or a test server; https://api.twelvedata.com when absent."),
    instruments: instrumentList
      .optional()
      .describe(
        "Instruments every stream reads unless it names its own: AAPL, EUR/USD, { symbol: BTC/USD, exchange: Coinbase Pro }.",
      ),
    streams: z
      .strictObject({
        quotes: quotesOptions.optional().describe("Latest prices, batched: price records."),
        candles: candlesOptions.optional().describe("Candles from /time_series, batched: ohlcv records."),
        backfill: backfillOptions
          .optional()
          .describe("Past candles from /time_series, paged, behind the live streams."),
      })
      .prefault({ quotes: {} })
      .describe("What to read: each stream given (`{}` for its defaults) is read. Default: quotes only."),
    once: z
      .boolean()
      .default(false)
      .describe(
        "Poll each stream once, run the backfill to its end (or until the day's credits are spent), and end; errors then fail the run.",
      ),
    creditsPerMinute: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .optional()
      .describe(
        "The key's credits per minute, shared by every stream and source of the process using it; from /api_usage, else the plan's lowest tier, when absent.",
      ),
    creditsPerDay: z
      .number()
      .int()
      .min(1)
      .max(100_000_000)
      .optional()
      .describe(
        "The key's credits per UTC day; 800 on basic (from /api_usage when it says), none on paid plans.",
      ),
    symbolsPerRequest: z
      .number()
      .int()
      .min(1)
      .max(120)
      .default(120)
      .describe(
        "Most symbols in one batched request (Twelve Data takes up to 120); never more than the credits of a minute.",
      ),
    timeout: durationText("Time allowed for one HTTP request.").prefault("15s"),
    retries: z
      .number()
      .int()
      .min(0)
      .max(20)
      .default(3)
      .describe(
        "Further attempts of a request Twelve Data answered 429 (credits of the minute spent), each after the minute ends. Other passing failures are retried by the pipeline's delivery.retry.",
      ),
  })
  .superRefine((config, context) => {
    const { streams } = config;
    for (const name of ["quotes", "candles", "backfill"] as const) {
      const options = streams[name];
      if (options && !options.instruments && !config.instruments)
        context.addIssue({
          code: "custom",
          path: ["streams", name, "instruments"],
          message: `the ${name} stream needs instruments: give streams.${name}.instruments or instruments`,
        });
    }
    const backfill = streams.backfill;
    if (backfill?.to !== undefined && backfill.to <= backfill.from)
      context.addIssue({
        code: "custom",
        path: ["streams", "backfill", "to"],
        message: "streams.backfill.to must be after streams.backfill.from",
      });
  });

/** The config as a pipeline file writes it. */
export type TwelveDataConfigInput = z.input<typeof twelvedataConfigSchema>;
/** The config with defaults applied, durations and dates in milliseconds. */
export type TwelveDataConfig = z.output<typeof twelvedataConfigSchema>;
