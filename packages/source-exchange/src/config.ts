import { z } from "zod";
import { parseDuration } from "./duration";

/** The exchanges this source speaks to. */
export const EXCHANGES = ["binance", "coinbase", "kraken"] as const;
export type ExchangeName = (typeof EXCHANGES)[number];

/** What a pipeline can ask for, the same words for every exchange. */
export const CHANNELS = ["trades", "quotes", "candles"] as const;
export type Channel = (typeof CHANNELS)[number];

const duration = (fallback: string, description: string) =>
  z
    .union([z.string(), z.number()])
    .default(fallback)
    .transform((value, context) => {
      const ms = parseDuration(value);
      if (ms === undefined || ms <= 0) {
        context.addIssue({ code: "custom", message: `expected a duration such as 30s or 5m, got ${value}` });
        return z.NEVER;
      }
      return ms;
    })
    .describe(description);

const optionalDuration = (description: string) =>
  z
    .union([z.string(), z.number()])
    .optional()
    .transform((value, context) => {
      if (value === undefined) return undefined;
      const ms = parseDuration(value);
      if (ms === undefined || ms <= 0) {
        context.addIssue({ code: "custom", message: `expected a duration such as 30s or 5m, got ${value}` });
        return z.NEVER;
      }
      return ms;
    })
    .describe(description);

export const exchangeConfigSchema = z
  .object({
    exchange: z
      .enum(EXCHANGES)
      .describe("Which exchange: binance (spot), coinbase (Advanced Trade), kraken (v2)."),
    symbols: z
      .array(z.string().min(1))
      .min(1)
      .describe("The exchange's own symbols: BTCUSDT (Binance), BTC-USD (Coinbase), BTC/USD (Kraken)."),
    channels: z
      .array(z.enum(CHANNELS))
      .min(1)
      .default(["trades"])
      .describe("trades (record kind trade), quotes (best bid/ask, kind quote), candles (kind ohlcv)."),
    intervals: z
      .array(z.string().regex(/^[1-9]\d{0,3}(m|h|d|w)$/, "a width such as 1m, 5m, 1h or 1d"))
      .min(1)
      .default(["1m"])
      .describe("Candle widths for the candles channel; Coinbase streams 5m only."),
    binanceTrades: z
      .enum(["trade", "aggTrade"])
      .default("trade")
      .describe("Binance only: raw trades (<symbol>@trade) or aggregated trades (<symbol>@aggTrade)."),
    openCandles: z
      .boolean()
      .default(false)
      .describe("Also emit the open candle as it changes (isFinal: false); final candles are emitted once."),
    coinIds: z
      .record(z.string(), z.string().regex(/^[a-z0-9][a-z0-9._-]*$/))
      .default({})
      .describe(
        "CoinGecko coin id per base asset (`{ PEPE: pepe }`), on top of the known ones (BTC: bitcoin, ...).",
      ),
    websocketUrl: z
      .string()
      .url()
      .optional()
      .describe("WebSocket endpoint; the exchange's public one by default."),
    restUrl: z.string().url().optional().describe("REST endpoint for gap filling and the DSL methods."),
    gapFill: z
      .boolean()
      .default(true)
      .describe("Fetch what a reconnect or a sequence break missed over REST."),
    maxBackfill: duration("24h", "Backfill at most this far back after a restart or a long outage."),
    staleAfter: optionalDuration(
      "Reconnect when nothing arrived for this long; default per exchange (Binance 60s, Coinbase 10s, Kraken 15s).",
    ),
    pingEvery: optionalDuration(
      "Send a keep-alive this often (Kraken ping, WebSocket ping); default per exchange.",
    ),
    maxConnectionAge: optionalDuration(
      "Reconnect before the exchange closes a connection (Binance: at 24 hours); default 23h50m for Binance.",
    ),
    reconnect: z
      .object({
        initialDelay: duration("250ms", "First wait before reconnecting (exponential, with full jitter)."),
        maxDelay: duration("30s", "Longest wait between reconnects."),
      })
      .strict()
      .default({ initialDelay: 250, maxDelay: 30_000 }),
    maxStreamsPerConnection: z
      .number()
      .int()
      .positive()
      .max(1024)
      .default(1024)
      .describe("Binance: streams per connection (its limit is 1024); more streams open more connections."),
    subscribeMessagesPerSecond: z
      .number()
      .positive()
      .optional()
      .describe(
        "Control messages a connection sends per second; default below the exchange's limit (Binance 5/s).",
      ),
    restWeightPerMinute: z
      .number()
      .positive()
      .optional()
      .describe("REST request weight the gap filler may spend a minute; default half the exchange's limit."),
    batchSize: z.number().int().positive().max(50_000).default(2_000).describe("Most records in one batch."),
  })
  .strict();

export type ExchangeConfig = z.output<typeof exchangeConfigSchema>;
export type ExchangeConfigInput = z.input<typeof exchangeConfigSchema>;
