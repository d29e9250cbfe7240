/**
 * A third-party source written from docs/writing-an-adapter.md alone: hourly candles of a
 * made-up exchange, generated here so the check needs no network. It is resumable (its
 * checkpoint is the next candle's open time) and offers getOHLCV.
 */
import { ADAPTER_CONTRACT_VERSION, defineSource, QiError } from "@qicore/core/adapter";
import { z } from "zod";

const HOUR = 3_600_000;

const configSchema = z.strictObject({
  symbol: z.string().min(1).describe("The exchange's symbol, e.g. BTCUSDT."),
  from: z.iso.datetime().describe("Open time of the first candle (UTC)."),
  candles: z.number().int().positive().max(10_000).default(48).describe("How many hourly candles there are."),
  batchSize: z.number().int().positive().default(12).describe("Candles per batch."),
});

function candle(symbol: string, openTime: number) {
  const base = 60_000 + ((openTime / HOUR) % 97) * 13.25;
  return {
    exchangeId: "made-up",
    instrument: symbol,
    base: symbol.replace(/USDT$/, ""),
    quote: "USDT",
    timestamp: new Date(openTime).toISOString(),
    timeframe: "1h",
    open: base.toFixed(2),
    high: (base + 40).toFixed(2),
    low: (base - 35).toFixed(2),
    close: (base + 12.5).toFixed(2),
    volume: "12.5",
    isFinal: true,
    source: "made-up-exchange",
    attribution: "Generated for the newcomer check",
  };
}

export const klinesSource = defineSource({
  name: "made-up-klines",
  description: "Hourly candles of a made-up exchange.",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema,
  capabilities: { kinds: ["ohlcv"], replay: true, bounded: true },
  create(config) {
    const start = Date.parse(config.from);
    const end = start + config.candles * HOUR;
    return {
      async *read({ checkpoint, signal }) {
        let next = typeof checkpoint === "number" ? checkpoint : start;
        while (next < end && !signal.aborted) {
          const records = [];
          for (let index = 0; index < config.batchSize && next < end; index++, next += HOUR)
            records.push(candle(config.symbol, next));
          yield { kind: "ohlcv" as const, records, checkpoint: next };
        }
      },
      async getOHLCV(coinId, query) {
        if (query.timeframe !== "1h")
          throw new QiError({
            code: "VALIDATION_FAILED",
            message: `only 1h candles, not ${query.timeframe}`,
            category: "VALIDATION",
          });
        const count = Math.min(query.limit ?? config.candles, config.candles);
        return Array.from({ length: count }, (_, index) => ({
          ...candle(config.symbol, end - (count - index) * HOUR),
          coinId,
        }));
      },
    };
  },
});

export default klinesSource;
