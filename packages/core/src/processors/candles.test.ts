import { describe, expect, it } from "vitest";
import type { RecordBatch } from "../adapters/processor-types";
import type { MarketRecord } from "../dsl/kinds";
import { validateRecord } from "../dsl/validate";
import { candlesConfigSchema, createCandleBuilder } from "./candles";

const trade = (instrument: string, second: number, price: string, amount = "1", id = second) =>
  ({
    exchangeId: "binance",
    instrument,
    base: instrument.replace(/USDT$/, ""),
    quote: "USDT",
    assetClass: "crypto",
    tradeId: `${instrument}-${id}`,
    price,
    amount,
    side: "buy",
    timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString(),
    receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString(),
    source: "binance",
    attribution: "Binance",
  }) as unknown as MarketRecord;

const batch = (records: MarketRecord[]): RecordBatch => ({ kind: "trade", records });
const builder = (options: Record<string, unknown> = {}) =>
  createCandleBuilder(candlesConfigSchema.parse({ widths: ["1m"], allowedLateness: 0, ...options }));
const candlesOf = (output: { batches?: readonly RecordBatch[] }) =>
  (output.batches ?? []).flatMap((entry) => entry.records) as unknown as Record<string, unknown>[];

describe("candles from trades", () => {
  it("builds open, high, low, close, volume and trade count, final once the series passes the bucket", () => {
    const candles = builder();
    const first = candles.process(
      batch([
        trade("BTCUSDT", 1, "100.5", "0.25"),
        trade("BTCUSDT", 20, "101.25", "0.5"),
        trade("BTCUSDT", 59, "99.75", "1"),
      ]),
      1,
    );
    expect(candlesOf(first)).toEqual([]);
    expect(candles.retainedFrom()).toBe(1);
    const second = candles.process(batch([trade("BTCUSDT", 61, "102")]), 2);
    const [candle] = candlesOf(second);
    expect(candle).toMatchObject({
      instrument: "BTCUSDT",
      quote: "USDT",
      timestamp: "2026-01-01T00:00:00.000Z",
      timeframe: "1m",
      open: "100.5",
      high: "101.25",
      low: "99.75",
      close: "99.75",
      volume: "1.75",
      tradeCount: 3,
      isFinal: true,
    });
    expect(validateRecord("ohlcv", candle).ok).toBe(true);
    // The second bucket is open and fed only by batch 2: batch 1 is no longer held.
    expect(candles.retainedFrom()).toBe(2);
    expect(second.batches?.[0]?.sequence).toBe(1);
  });

  it("keeps instruments apart and does not invent empty buckets", () => {
    const candles = builder();
    candles.process(batch([trade("BTCUSDT", 1, "100"), trade("ETHUSDT", 2, "10")]), 1);
    const output = candlesOf(candles.process(batch([trade("BTCUSDT", 181, "103")]), 2));
    expect(output.map((candle) => [candle.instrument, candle.timestamp])).toEqual([
      ["BTCUSDT", "2026-01-01T00:00:00.000Z"],
    ]);
  });

  it("forward-fills empty buckets when asked, marked filled", () => {
    const candles = builder({ forwardFill: true });
    candles.process(batch([trade("BTCUSDT", 1, "100")]), 1);
    candles.process(batch([trade("BTCUSDT", 61, "101")]), 2);
    const output = candlesOf(candles.process(batch([trade("BTCUSDT", 241, "104")]), 3));
    expect(output.map((candle) => [candle.timestamp, candle.close, candle.filled ?? false])).toEqual(
      [
        ["2026-01-01T00:02:00.000Z", "101", true],
        ["2026-01-01T00:03:00.000Z", "101", true],
        ["2026-01-01T00:01:00.000Z", "101", false],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))) as never,
    );
  });

  it("dead-letters a trade that comes after its bucket was final, or revises the candle", () => {
    const dead = builder({ allowedLateness: 5_000 });
    dead.process(batch([trade("BTCUSDT", 1, "100")]), 1);
    dead.process(batch([trade("BTCUSDT", 66, "101")]), 2);
    const late = dead.process(batch([trade("BTCUSDT", 30, "150", "1", 900)]), 3);
    expect(late.rejected?.[0]?.error.message).toMatch(
      /came after its 1m candle of BTCUSDT \(2026-01-01T00:00:00.000Z\) was final/,
    );

    const revising = builder({ allowedLateness: 5_000, late: "revise" });
    revising.process(batch([trade("BTCUSDT", 1, "100")]), 1);
    revising.process(batch([trade("BTCUSDT", 66, "101")]), 2);
    const revised = candlesOf(revising.process(batch([trade("BTCUSDT", 30, "150", "1", 900)]), 3));
    expect(revised[0]).toMatchObject({
      timestamp: "2026-01-01T00:00:00.000Z",
      high: "150",
      close: "150",
      isFinal: true,
      tradeCount: 2,
    });
  });

  it("gives the same final candles however the trades are split into batches", () => {
    const trades = Array.from({ length: 600 }, (_, index) =>
      trade(
        index % 2 ? "BTCUSDT" : "ETHUSDT",
        index,
        `${100 + (index % 17)}.${index % 10}`,
        `0.${(index % 9) + 1}`,
        index,
      ),
    );
    const whole = builder({ widths: ["1m", "5m"] });
    const inOne = [...candlesOf(whole.process(batch(trades), 1)), ...candlesOf(whole.flush())];
    const split = builder({ widths: ["1m", "5m"] });
    const inMany: Record<string, unknown>[] = [];
    for (let start = 0, sequence = 1; start < trades.length; start += 37, sequence++)
      inMany.push(...candlesOf(split.process(batch(trades.slice(start, start + 37)), sequence)));
    inMany.push(...candlesOf(split.flush()));
    const byKey = (list: Record<string, unknown>[]) => list.map((candle) => JSON.stringify(candle)).sort();
    expect(byKey(inMany)).toEqual(byKey(inOne));
    expect(inOne).toHaveLength(2 * 10 + 2 * 2);
    expect(split.retainedFrom()).toBeUndefined();
  });

  it("emits the open candle as it changes when asked", () => {
    const candles = builder({ emitOpen: true });
    const output = candlesOf(
      candles.process(batch([trade("BTCUSDT", 1, "100"), trade("BTCUSDT", 2, "105")]), 1),
    );
    expect(output).toHaveLength(1);
    expect(output[0]).toMatchObject({ isFinal: false, high: "105", close: "105" });
  });

  describe("wider widths built from the narrowest", () => {
    // Two instruments over three hours, with quiet minutes and a quiet quarter hour, prices of
    // several scales, and amounts that do not fit a double exactly when summed.
    let seed = 11;
    const next = () => {
      seed = (seed * 48271) % 2147483647;
      return seed;
    };
    const trades: MarketRecord[] = [];
    for (let second = 0; second < 3 * 3600; second += 1 + (next() % 40)) {
      if (second >= 4000 && second < 4900) continue;
      for (const instrument of ["BTCUSDT", "ETHUSDT"])
        if (next() % 3 !== 0)
          trades.push(
            trade(
              instrument,
              second,
              (1000 + (next() % 5000) / 8).toString(),
              `0.${next() % 1000}`,
              trades.length,
            ),
          );
    }
    const key = (candle: Record<string, unknown>) =>
      `${candle.instrument} ${candle.timeframe} ${candle.timestamp}`;
    const run = (widths: string[], options: Record<string, unknown>) => {
      const candles = builder({ widths, allowedLateness: 2_000, ...options });
      const out: Record<string, unknown>[] = [];
      for (let index = 0; index < trades.length; index += 97)
        out.push(...candlesOf(candles.process(batch(trades.slice(index, index + 97)), index + 1)));
      out.push(...candlesOf(candles.flush()));
      return new Map(out.map((candle) => [key(candle), candle]));
    };

    for (const forwardFill of [false, true])
      it(`gives every column of the candles built from every trade${forwardFill ? " (forward-filled)" : ""}`, () => {
        const together = run(["1m", "5m", "15m", "1h"], { forwardFill });
        for (const width of ["5m", "15m", "1h"]) {
          const alone = run([width], { forwardFill });
          const derived = [...together.values()].filter((candle) => candle.timeframe === width);
          expect(derived.length).toBe(alone.size);
          expect(derived.length).toBeGreaterThan(2);
          for (const candle of derived) expect(candle, key(candle)).toEqual(alone.get(key(candle)));
        }
      });

    it("counts a trade too late for the narrowest bucket in a wider one still open", () => {
      const candles = builder({ widths: ["1m", "5m"], allowedLateness: 0 });
      candles.process(batch([trade("BTCUSDT", 10, "100"), trade("BTCUSDT", 70, "101")]), 1);
      const late = candles.process(batch([trade("BTCUSDT", 20, "150", "2", 99)]), 2);
      expect(late.rejected?.map((rejection) => rejection.error.context?.timeframe)).toEqual(["1m"]);
      const five = candlesOf(candles.flush()).find((candle) => candle.timeframe === "5m");
      expect(five).toMatchObject({ open: "100", high: "150", low: "100", volume: "4", tradeCount: 3 });
    });
  });
});
