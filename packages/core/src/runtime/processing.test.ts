/**
 * Processors in a pipeline: records go through a route's (or a source's) processing steps to
 * its targets, and a batch is acknowledged only when nothing derived from it is still held.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineSource } from "../adapters/define";
import { ADAPTER_CONTRACT_VERSION, type SourceBatch } from "../adapters/types";
import { memoryStore } from "../builtin/memory-target";
import { createRegistry } from "../registry/registry";
import { silentLogger } from "./logger";
import { Pipeline } from "./pipeline";
import { MemoryStateStore } from "./state-store";

let counter = 0;
const unique = (label: string) => `${label}-${++counter}-${Date.now()}`;

const trade = (instrument: string, second: number, price: string) => ({
  exchangeId: "binance",
  instrument,
  base: instrument.replace(/USDT$/, ""),
  quote: "USDT",
  tradeId: `${instrument}-${second}`,
  price,
  amount: "1",
  side: "buy",
  timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString(),
  receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString(),
  source: "test",
  attribution: "test",
});

/** Trades in batches of 10 (one every 6 s: a 1m bucket per batch), checkpoint = batches done; stays open after the last unless bounded. */
function tradesSource(batches: number, bounded: boolean) {
  return defineSource({
    name: "trades",
    contractVersion: ADAPTER_CONTRACT_VERSION,
    coreVersion: ">=0.0.0",
    configSchema: z.strictObject({}),
    capabilities: { kinds: ["trade"], replay: true, bounded },
    create: () => ({
      async *read({ checkpoint, signal }): AsyncIterable<SourceBatch> {
        for (let index = typeof checkpoint === "number" ? checkpoint : 0; index < batches; index++) {
          const records = Array.from({ length: 10 }, (_, position) =>
            trade("BTCUSDT", index * 60 + position * 6, `${100 + index}.${position}`),
          );
          yield { kind: "trade", records, checkpoint: index + 1 };
        }
        if (!bounded)
          await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      },
    }),
  });
}

async function pipelineFor(
  batches: number,
  bounded: boolean,
  route: Record<string, unknown>,
  stateStore = new MemoryStateStore(),
) {
  const store = unique("candles");
  const loaded = await Pipeline.fromConfig(
    {
      name: "processing",
      sources: [{ id: "trades", type: "trades" }],
      targets: [{ id: "db", type: "memory", config: { store } }],
      routes: [{ from: "trades", to: ["db"], ...route }],
    },
    { registry: createRegistry(tradesSource(batches, bounded)), logger: silentLogger, stateStore },
  );
  if (!loaded.ok) throw loaded.error;
  return { pipeline: loaded.value, store: memoryStore(store), stateStore };
}

describe("a route with processors", () => {
  it("delivers what the processors hand on: candles from trades, every bucket final at the end of a bounded run", async () => {
    const { pipeline, store, stateStore } = await pipelineFor(5, true, {
      kinds: ["trade"],
      processors: [{ type: "candles", config: { widths: ["1m"], allowedLateness: 0 } }],
    });
    const summary = await pipeline.run();
    expect(summary).toMatchObject({ state: "stopped", recordsIn: 50, recordsOut: { db: 5 } });
    const candles = store.list("ohlcv") as unknown as Record<string, unknown>[];
    expect(candles.map((candle) => [candle.timestamp, candle.open, candle.close, candle.tradeCount])).toEqual(
      [
        ["2026-01-01T00:00:00.000Z", "100.0", "100.9", 10],
        ["2026-01-01T00:01:00.000Z", "101.0", "101.9", 10],
        ["2026-01-01T00:02:00.000Z", "102.0", "102.9", 10],
        ["2026-01-01T00:03:00.000Z", "103.0", "103.9", 10],
        ["2026-01-01T00:04:00.000Z", "104.0", "104.9", 10],
      ],
    );
    expect(store.list("trade")).toEqual([]);
    expect(await stateStore.load("processing", "trades")).toBe(5);
    expect(pipeline.metricsSnapshot().processors["trades/candles"]).toMatchObject({ in: 50, out: 5 });
  });

  it("at a stop, leaves unacknowledged the batches of a bucket still open, so the next run reads them again", async () => {
    const stateStore = new MemoryStateStore();
    const first = await pipelineFor(
      3,
      false,
      {
        processors: [{ type: "candles", config: { widths: ["1m"], allowedLateness: 0 } }],
      },
      stateStore,
    );
    await first.pipeline.start();
    await expect.poll(() => first.store.size("ohlcv"), { timeout: 5_000 }).toBe(2);
    await first.pipeline.stop();
    // Buckets 0 and 1 are final and written; bucket 2 (batch 3) is open: batch 3 is not acknowledged.
    expect(await stateStore.load("processing", "trades")).toBe(2);

    const second = await pipelineFor(
      4,
      true,
      {
        processors: [{ type: "candles", config: { widths: ["1m"], allowedLateness: 0 } }],
      },
      stateStore,
    );
    await second.pipeline.run();
    // The rerun read batches 3 and 4 again and built bucket 2 whole.
    const candles = second.store.list("ohlcv") as unknown as Record<string, unknown>[];
    expect(candles.map((candle) => [candle.timestamp, candle.tradeCount])).toEqual([
      ["2026-01-01T00:02:00.000Z", 10],
      ["2026-01-01T00:03:00.000Z", 10],
    ]);
    expect(await stateStore.load("processing", "trades")).toBe(4);
  });

  it("is checked when loaded: targets must accept what the processors hand on", async () => {
    const loaded = await Pipeline.fromConfig(
      {
        name: "processing",
        sources: [{ id: "gen", type: "synthetic", config: { coins: ["bitcoin"], count: 10 } }],
        targets: [{ id: "db", type: "memory" }],
        routes: [
          {
            from: "gen",
            to: ["db"],
            kinds: ["price"],
            processors: [{ type: "resample", config: { widths: ["5m"] } }],
          },
        ],
      },
      { registry: createRegistry(), logger: silentLogger },
    );
    expect(loaded.ok).toBe(false);
    expect(loaded.ok ? "" : loaded.error.message).toMatch(
      /routes\[0\]\.processors\[0\]\.type.*processor "resample" takes ohlcv, but what reaches it here is price/,
    );
  });
});
