import { describe, expect, it } from "vitest";
import { memoryStore } from "../builtin/memory-target";
import { createRegistry } from "../registry/registry";
import { silentLogger } from "./logger";
import { Pipeline } from "./pipeline";
import { MemoryStateStore } from "./state-store";
import { openTap, openTaps, type TappedRecord } from "./tap";

async function pipelineOf(name: string, count: number): Promise<Pipeline> {
  const loaded = await Pipeline.fromConfig(
    {
      name,
      sources: [
        {
          id: "gen",
          type: "synthetic",
          config: { coins: ["bitcoin", "ethereum"], count, batchSize: 50, kinds: ["price", "ohlcv"] },
        },
      ],
      targets: [{ id: "mem", type: "memory", config: { store: name } }],
      delivery: { batch: { maxRecords: 100, maxWait: "10ms" } },
    },
    { registry: createRegistry(), logger: silentLogger, stateStore: new MemoryStateStore() },
  );
  if (!loaded.ok) throw loaded.error;
  const initialized = await loaded.value.initialize();
  if (!initialized.ok) throw initialized.error;
  return loaded.value;
}

const flushed = () => new Promise((resolve) => setImmediate(resolve));

describe("taps", () => {
  it("hand on the records of the stage, adapter, kind and instrument asked for", async () => {
    const pipeline = await pipelineOf(`tap-filter-${Date.now()}`, 400);
    const taken: TappedRecord[] = [];
    const tap = openTap(pipeline.metrics, {
      filter: { stage: "source", adapter: "gen", kinds: ["price"], instruments: ["bitcoin"] },
      maxPerSecond: 10_000,
      onRecords: (records) => taken.push(...records),
    });
    const summary = await pipeline.run();
    await flushed();
    tap.close();
    expect(summary.recordsOut.mem).toBe(800);
    // 400 positions over two coins: 200 bitcoin prices.
    expect(taken).toHaveLength(200);
    expect(tap.delivered).toBe(200);
    for (const entry of taken) {
      expect(entry).toMatchObject({ stage: "source", adapter: "gen", kind: "price" });
      expect((entry.record as { coinId: string }).coinId).toBe("bitcoin");
    }
    await pipeline.destroy();
  });

  it("see what a target wrote, after the write", async () => {
    const store = `tap-target-${Date.now()}`;
    const pipeline = await pipelineOf(store, 100);
    const written: unknown[] = [];
    const tap = openTap(pipeline.metrics, {
      filter: { stage: "target", adapter: "mem", kinds: ["ohlcv"] },
      maxPerSecond: 10_000,
      onRecords: (records) => {
        // Handed on after the write: the target already holds each record.
        for (const entry of records) expect(memoryStore(store).list("ohlcv")).toContainEqual(entry.record);
        written.push(...records);
      },
    });
    await pipeline.run();
    await flushed();
    tap.close();
    expect(written).toHaveLength(100);
    await pipeline.destroy();
  });

  it("sample instead of slowing the pipeline: a rate, a paused reader, a failing reader", async () => {
    const pipeline = await pipelineOf(`tap-sample-${Date.now()}`, 2_000);
    let sampled = 0;
    const limited = openTap(pipeline.metrics, {
      filter: { stage: "source" },
      maxPerSecond: 30,
      onRecords: (records) => {
        sampled += records.length;
      },
    });
    const paused = openTap(pipeline.metrics, { filter: { stage: "target" }, onRecords: () => {} });
    paused.pause();
    const failing = openTap(pipeline.metrics, {
      filter: { stage: "target" },
      onRecords: () => {
        throw new Error("a reader that fails");
      },
    });
    expect(openTaps(pipeline.metrics)).toBe(3);
    const summary = await pipeline.run();
    await flushed();
    expect(summary.error).toBeUndefined();
    expect(summary.recordsOut.mem).toBe(4_000);
    // 4,000 records (two kinds) matched: a burst of 30 went on, the rest were counted as skipped.
    expect(sampled).toBeGreaterThanOrEqual(30);
    expect(limited.skipped).toBeGreaterThan(0);
    expect(sampled + limited.skipped).toBe(4_000);
    expect(paused.delivered).toBe(0);
    expect(paused.skipped).toBe(4_000);
    expect(failing.delivered).toBeGreaterThan(0);
    for (const tap of [limited, paused, failing]) tap.close();
    expect(openTaps(pipeline.metrics)).toBe(0);
    await pipeline.destroy();
  });
});
