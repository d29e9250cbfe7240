/**
 * The candles processor across a restart, in process: a run that stops after a checkpoint and
 * a new run that reads again from it (with the state saved at that checkpoint) write, together,
 * the candles one uninterrupted run writes. The crash test with Kafka and TimescaleDB
 * (source-redpanda's candles-crash.integration.test.ts) proves the same with real parts.
 */
import { describe, expect, it } from "vitest";
import type { MarketRecord } from "../dsl/kinds";
import { type CandlesConfig, candlesConfigSchema, createCandleBuilder } from "./candles";

const START = Date.UTC(2026, 0, 1);

/** Two markets, a trade each every 10 s for 30 minutes, in batches of 7 that straddle buckets. */
function batches(): MarketRecord[][] {
  const trades: MarketRecord[] = [];
  for (let step = 0; step < 180; step++)
    for (const [index, instrument] of ["BTCUSDT", "ETHUSDT"].entries()) {
      const time = new Date(START + step * 10_000 + index).toISOString();
      trades.push({
        exchangeId: "binance",
        instrument,
        base: instrument.replace(/USDT$/, ""),
        quote: "USDT",
        tradeId: `${instrument}-${step}`,
        price: `${100 + ((step * 37) % 23)}.${step % 10}`,
        amount: `0.${(step % 9) + 1}`,
        side: "buy",
        timestamp: time,
        receivedAt: time,
        source: "test",
        attribution: "test",
      } as unknown as MarketRecord);
    }
  const out: MarketRecord[][] = [];
  for (let index = 0; index < trades.length; index += 7) out.push(trades.slice(index, index + 7));
  return out;
}

type Builder = ReturnType<typeof createCandleBuilder>;

/** A table's rows in key order, to compare. */
const rows = (table: Map<string, unknown>) => [...table].sort(([a], [b]) => a.localeCompare(b));

/** Runs batches (numbered from 1 in this run) and writes the candles into `table` by key. */
function feed(builder: Builder, input: MarketRecord[][], table: Map<string, unknown>): void {
  input.forEach((records, index) => {
    for (const batch of builder.process({ kind: "trade", records }, index + 1).batches ?? [])
      for (const candle of batch.records) {
        const value = candle as unknown as Record<string, unknown>;
        table.set(`${value.instrument}|${value.timeframe}|${value.timestamp}`, candle);
      }
  });
}

describe.each(["dead-letter", "revise"] as const)("candles across a restart (late: %s)", (late) => {
  const config: CandlesConfig = candlesConfigSchema.parse({
    widths: ["1m", "5m"],
    allowedLateness: "2s",
    late,
  });
  const input = batches();
  const uninterrupted = new Map<string, unknown>();
  feed(createCandleBuilder(config), input, uninterrupted);

  /** Stops after `stopAfter` batches; the next run reads again from the last checkpoint. */
  function restarted(stopAfter: number, restore: boolean): Map<string, unknown> {
    const table = new Map<string, unknown>();
    const first = createCandleBuilder(config);
    first.restore(undefined);
    feed(first, input.slice(0, stopAfter), table);
    // What the runtime could acknowledge: every batch before the oldest one still held.
    const held = first.retainedFrom();
    const checkpoint = held === undefined ? stopAfter : held - 1;
    const state = first.snapshot(checkpoint, 0);
    const second = createCandleBuilder(config);
    second.restore(restore ? JSON.parse(JSON.stringify(state)) : undefined);
    feed(second, input.slice(checkpoint), table);
    return table;
  }

  it("writes what an uninterrupted run writes, whatever batch the first run stopped after", () => {
    expect(uninterrupted.size).toBe(2 * (29 + 5)); // every bucket but each market's last 1m
    for (let stopAfter = 1; stopAfter < input.length; stopAfter++)
      expect(rows(restarted(stopAfter, true)), `stopped after batch ${stopAfter}`).toEqual(
        rows(uninterrupted),
      );
  });

  it("without the state saved at the checkpoint, writes a candle of a bucket's tail over the whole one", () => {
    // The checkpoint is inside a 1m bucket of the other market: its tail is read again.
    const differs = [...Array(input.length - 1).keys()].some((index) => {
      const table = restarted(index + 1, false);
      return JSON.stringify(rows(table)) !== JSON.stringify(rows(uninterrupted));
    });
    expect(differs).toBe(true);
  });
});
