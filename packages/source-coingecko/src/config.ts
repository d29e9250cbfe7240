import { parseDuration } from "@qicore/core/adapter";
import { z } from "zod";
import { COINGECKO_PLANS, type CoinGeckoPlan } from "./plans";

const COIN_ID = /^[a-z0-9][a-z0-9._-]*$/;

const coinId = z
  .string()
  .max(50)
  .regex(COIN_ID, "a CoinGecko coin id (its API id, lowercase), e.g. bitcoin or usd-coin");

const coinList = z.array(coinId).min(1, "list at least one coin id");

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

/** A day (`2024-01-01`) or an instant (`2024-01-01T12:00:00Z`), as epoch milliseconds. */
const pointInTime = (description: string) =>
  z
    .union([z.iso.date(), z.iso.datetime({ offset: true })], {
      error: "expected a date (2024-01-01) or an ISO-8601 time with an offset (2024-01-01T12:00:00Z)",
    })
    .transform((value) => Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value))
    .describe(description);

const OHLC_DAYS = ["1", "7", "14", "30", "90", "180", "365", "max"] as const;

const pricesOptions = z.strictObject({
  every: durationText(
    "Least time between two price refreshes; every read() when absent (the pipeline's `schedule` sets the pace).",
  ).optional(),
});

const ohlcvOptions = z.strictObject({
  coins: coinList.optional().describe("Coins to fetch candles for; the top-level `coins` when absent."),
  days: z
    .union([z.enum(OHLC_DAYS), z.number().int()])
    .transform((value) => String(value))
    .pipe(z.enum(OHLC_DAYS, { error: `days is one of ${OHLC_DAYS.join(", ")}` }))
    .default("1")
    .describe(
      "Window of /coins/{id}/ohlc. It sets the candle width: 1 day → 30m candles, 7-30 → 4h, 90 and more → 4d (`max` on paid plans only).",
    ),
  interval: z
    .enum(["hourly", "daily"])
    .optional()
    .describe("Paid plans: 1h or 1d candles instead of the automatic width (hourly up to 90 days)."),
  every: durationText(
    "Least time between two candle refreshes of a coin (CoinGecko updates them every 15 minutes).",
  ).prefault("15m"),
});

const historyOptions = z.strictObject({
  coins: coinList.optional().describe("Coins to backfill; the top-level `coins` when absent."),
  from: pointInTime("Start of the backfill (inclusive)."),
  to: pointInTime("End of the backfill (exclusive); the time of the first run when absent.").optional(),
  granularity: z
    .enum(["hourly", "daily"])
    .default("hourly")
    .describe(
      "hourly: ranges of at most 90 days per request (CoinGecko then answers hourly points); daily: up to 365 days per request.",
    ),
  requestsPerRead: z
    .number()
    .int()
    .positive()
    .default(5)
    .describe("Backfill requests per poll when polling (`once: true` backfills everything in one read)."),
});

const ohlcvHistoryOptions = z.strictObject({
  coins: coinList.optional().describe("Coins to backfill candles for; the top-level `coins` when absent."),
  from: pointInTime("Start of the candle backfill (inclusive)."),
  to: pointInTime(
    "End of the candle backfill (exclusive); the time of the first run when absent.",
  ).optional(),
  interval: z
    .enum(["hourly", "daily"])
    .default("daily")
    .describe("Candle width of /coins/{id}/ohlc/range: hourly (31 days per request) or daily (180 days)."),
  requestsPerRead: z
    .number()
    .int()
    .positive()
    .default(5)
    .describe("Backfill requests per poll when polling."),
});

const analyticsOptions = z.strictObject({
  every: durationText("Least time between two /global refreshes; every read() when absent.").optional(),
});

export const coingeckoConfigSchema = z
  .strictObject({
    plan: z
      .enum(COINGECKO_PLANS)
      .optional()
      .describe(
        "public (keyless), demo (free key) or pro (paid key). When absent: pro if COINGECKO_PRO_API_KEY is set, demo if another key is given, else public.",
      ),
    apiKey: z
      .string()
      .min(1)
      .optional()
      .describe(
        "API key. When absent it is read from COINGECKO_PRO_API_KEY (pro) or COINGECKO_DEMO_API_KEY (demo), then COINGECKO_API_KEY. Never logged.",
      ),
    baseUrl: z
      .url({
        protocol: /^https?$/,
        error: "expected an http(s) URL such as https://api.coingecko.com/api/v3",
      })
      .optional()
      .describe("API root for a proxy or a test server; the plan's CoinGecko host when absent."),
    vsCurrency: z
      .literal("usd", { error: "records hold US dollar prices (usdPrice): vsCurrency must be usd" })
      .default("usd")
      .describe("Quote currency; records hold USD fields, so only usd."),
    coins: coinList.optional().describe("Coin ids (CoinGecko API ids) to read, e.g. [bitcoin, ethereum]."),
    topN: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .optional()
      .describe(
        "Instead of `coins`: prices of the N largest coins by market cap (/coins/markets, 250 a page).",
      ),
    streams: z
      .strictObject({
        prices: pricesOptions
          .optional()
          .describe("Current prices: /simple/price for `coins`, /coins/markets for `topN`."),
        ohlcv: ohlcvOptions.optional().describe("OHLC candles (no volume) from /coins/{id}/ohlc."),
        history: historyOptions
          .optional()
          .describe("Price history backfill from /coins/{id}/market_chart/range."),
        ohlcvHistory: ohlcvHistoryOptions
          .optional()
          .describe("Candle backfill from /coins/{id}/ohlc/range (paid plans)."),
        analytics: analyticsOptions.optional().describe("Market-wide figures from /global."),
      })
      .prefault({ prices: {} })
      .describe("What to read: each stream given (`{}` for its defaults) is read. Default: prices only."),
    once: z
      .boolean()
      .default(false)
      .describe(
        "Poll each stream once, finish backfills, and end (cron jobs, tests); errors then fail the run. Otherwise one poll per read() and passing errors are logged and retried at the next poll.",
      ),
    callsPerMinute: z
      .number()
      .positive()
      .max(100_000)
      .optional()
      .describe(
        "Rate budget of the key, shared by every stream and source of the process using it. Defaults: public 5, demo 30, pro the key's limit from /key (else 250).",
      ),
    timeout: durationText("Time allowed for one HTTP request.").prefault("10s"),
    retries: z
      .number()
      .int()
      .min(0)
      .max(20)
      .default(3)
      .describe(
        "Further attempts of a request CoinGecko rate-limited (HTTP 429 or its HTML page), each after the pause it asked for. Other passing failures (timeouts, 5xx, lost connections) are retried by the pipeline's delivery.retry.",
      ),
    progress: z
      .union([z.boolean(), z.literal("auto")])
      .default("auto")
      .describe("Backfill progress bar on standard error: auto shows it on a terminal only."),
  })
  .superRefine((config, context) => {
    const { streams } = config;
    const issue = (path: (string | number)[], message: string) =>
      context.addIssue({ code: "custom", path, message });
    if (streams.prices) {
      if (config.coins && config.topN !== undefined)
        issue(
          ["topN"],
          "prices come from either `coins` or `topN`, not both (other streams can take their own `coins`)",
        );
      if (!config.coins && config.topN === undefined)
        issue(
          ["coins"],
          "the prices stream needs `coins` (a list of coin ids) or `topN` (the N largest coins)",
        );
    }
    for (const name of ["ohlcv", "history", "ohlcvHistory"] as const) {
      const options = streams[name];
      if (options && !options.coins && !config.coins)
        issue(
          ["streams", name, "coins"],
          `the ${name} stream needs coin ids: give streams.${name}.coins or coins`,
        );
    }
    for (const name of ["history", "ohlcvHistory"] as const) {
      const options = streams[name];
      if (options?.to !== undefined && options.to <= options.from)
        issue(["streams", name, "to"], `streams.${name}.to must be after streams.${name}.from`);
    }
    if (config.plan === "public" && config.apiKey)
      issue(["apiKey"], "plan public sends no key: remove apiKey, or set plan: demo or plan: pro");
    if (config.plan && config.plan !== "pro") {
      for (const problem of paidOnlyProblems(config, config.plan)) issue(problem.path, problem.message);
    }
  });

/** The config as a pipeline file writes it. */
export type CoinGeckoConfigInput = z.input<typeof coingeckoConfigSchema>;
/** The config with defaults applied and durations and dates in milliseconds. */
export type CoinGeckoConfig = z.output<typeof coingeckoConfigSchema>;

/** Options that only paid (pro) keys can use; checked again once the plan is known from the environment. */
export function paidOnlyProblems(
  config: CoinGeckoConfig,
  plan: CoinGeckoPlan,
): { path: (string | number)[]; message: string }[] {
  if (plan === "pro") return [];
  const problems: { path: (string | number)[]; message: string }[] = [];
  const why = `is for paid plans (plan ${plan} would get error 10005): set plan: pro with a paid key, or remove it`;
  if (config.streams.ohlcv?.interval)
    problems.push({ path: ["streams", "ohlcv", "interval"], message: `streams.ohlcv.interval ${why}` });
  if (config.streams.ohlcv?.days === "max")
    problems.push({ path: ["streams", "ohlcv", "days"], message: `streams.ohlcv.days: max ${why}` });
  if (config.streams.ohlcvHistory)
    problems.push({
      path: ["streams", "ohlcvHistory"],
      message: `streams.ohlcvHistory (/coins/{id}/ohlc/range) ${why}`,
    });
  return problems;
}
