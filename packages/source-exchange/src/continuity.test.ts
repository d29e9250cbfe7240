import { MemoryStateStore } from "@qicore/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import {
  finalCandles,
  fullSeriesProblems,
  type StandInRun,
  startRun,
  tradeIds,
  until,
} from "../test-support/harness";
import { type ExchangeStandIn, type StandInExchange, startExchangeStandIn } from "./testing/stand-in";

let standIn: ExchangeStandIn | undefined;
const runs: StandInRun[] = [];

afterEach(async () => {
  for (const run of runs.splice(0)) await run.stop();
  await standIn?.close();
  standIn = undefined;
});

async function started(config: Record<string, unknown>, stateStore?: MemoryStateStore): Promise<StandInRun> {
  const run = await startRun(standIn as ExchangeStandIn, { staleAfter: "1500ms", ...config }, stateStore);
  runs.push(run);
  return run;
}

describe("a restart resumes from the checkpoint", () => {
  it.each(["binance", "coinbase", "kraken"] as const)(
    "%s: backfills what happened while stopped over REST before going live, nothing twice",
    async (exchange: StandInExchange) => {
      standIn = await startExchangeStandIn({ exchange, tradesPerSecond: 0 });
      const symbol = standIn.markets[0]?.symbol as string;
      const state = new MemoryStateStore();
      // The stand-in's market is two days old; maxBackfill bounds how far back a restart fetches.
      const first = await started({ maxBackfill: "7d" }, state);
      await until(() => (standIn as ExchangeStandIn).subscriptions() > 0, "the first run subscribed");
      standIn.advance(30);
      await until(() => tradeIds(first.written, symbol).length === 30, "the first run wrote 30 trades");
      await first.stop();
      runs.splice(runs.indexOf(first), 1);
      standIn.advance(50); // nobody listens: only REST has these
      const second = await started({ maxBackfill: "7d" }, state);
      // No live trade happens: the second run's trades come from the checkpoint's backfill.
      await until(
        () => tradeIds(second.written, symbol).length === 50,
        "the second run backfilled 50 trades",
      );
      expect(tradeIds(second.written, symbol)).toEqual(Array.from({ length: 50 }, (_, index) => 31 + index));
      const both = { ...second.written, trade: [...first.written.trade, ...second.written.trade] };
      expect(fullSeriesProblems(both, standIn)).toEqual([]);
      expect(second.reader().stats().gapsFilled).toBe(1);
    },
  );
});

describe("candles", () => {
  it.each([
    ["binance", "1m", 60_000],
    ["kraken", "1m", 60_000],
    ["coinbase", "5m", 300_000],
  ] as const)(
    "%s %s: every closed bucket once, with its values, across a dropped connection",
    async (exchange, interval, intervalMs) => {
      standIn = await startExchangeStandIn({ exchange, tradesPerSecond: 0 });
      const market = standIn.markets[0];
      const symbol = market?.symbol as string;
      const run = await started({ channels: ["trades", "candles"], intervals: [interval] });
      await until(() => (standIn as ExchangeStandIn).subscriptions() >= 2, "the source subscribed");
      const perBucket = intervalMs / 1000;
      standIn.advance(perBucket * 3 + 7);
      await until(
        () => finalCandles(run.written, symbol, interval).byOpen.size >= 2,
        "final candles arrived",
      );
      standIn.inject({ kind: "drop" });
      standIn.advance(perBucket * 2); // two buckets close while disconnected
      await until(
        () => run.reader().stats().reconnects > 0 && (standIn as ExchangeStandIn).subscriptions() >= 2,
        "the source reconnected and subscribed again",
      );
      standIn.advance(perBucket * 2);
      const series = market?.series;
      const position = standIn.position(symbol);
      const lastClosed =
        (series?.bucketOf(series?.trade(position).timeMs ?? 0, intervalMs) ?? 0) - intervalMs;
      await until(
        () => finalCandles(run.written, symbol, interval).byOpen.has(lastClosed),
        "the last closed bucket was written",
      );
      const { byOpen, duplicates } = finalCandles(run.written, symbol, interval);
      expect(duplicates).toBe(0);
      const opens = [...byOpen.keys()].sort((a, b) => a - b);
      const first = opens[0] as number;
      expect(first).toBeLessThanOrEqual(series?.bucketOf(series.trade(6).timeMs, intervalMs) as number);
      for (let open = first; open <= lastClosed; open += intervalMs) {
        const expected = series?.candle(open, intervalMs, position);
        expect(byOpen.get(open), new Date(open).toISOString()).toMatchObject({
          open: expected?.open,
          high: expected?.high,
          low: expected?.low,
          close: expected?.close,
          volume: expected?.volume,
          isFinal: true,
          timeframe: interval,
        });
      }
      expect(run.reader().stats().gapsFilled).toBeGreaterThan(0);
    },
  );
});

describe("Binance connection limits", () => {
  const markets = Array.from({ length: 1100 }, (_, index) => ({
    symbol: `C${index}USDT`,
    base: `C${index}`,
    quote: "USDT",
  }));

  it("splits 1,100 streams over two connections and paces SUBSCRIBE under 5 messages a second", async () => {
    standIn = await startExchangeStandIn({
      exchange: "binance",
      tradesPerSecond: 0,
      markets,
      messageLimitPerSecond: 5,
    });
    const run = await started({});
    await until(() => (standIn as ExchangeStandIn).subscriptions() === 1100, "every stream was subscribed");
    expect(standIn.stats.connections).toBe(2);
    expect(standIn.stats.subscribeMessages).toBe(7);
    expect(standIn.stats.cutForMessageRate).toBe(0);
    standIn.advance(2);
    await until(() => run.written.trade.length === 2200, "trades of every market arrived");
  });

  it("is cut by the stand-in when it sends faster than 5 messages a second (the limit is real)", async () => {
    standIn = await startExchangeStandIn({
      exchange: "binance",
      tradesPerSecond: 0,
      markets,
      messageLimitPerSecond: 5,
    });
    await started({ subscribeMessagesPerSecond: 100 });
    await until(
      () => (standIn as ExchangeStandIn).stats.cutForMessageRate > 0,
      "the stand-in cut the connection",
    );
  });
});
