import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Checkpoint, createRegistry, Pipeline, type StateStore } from "@qicore/core";
import { MemoryStateStore, memoryStore, silentLogger } from "@qicore/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BackfillCursor } from "./backfill";
import { type Clock, createCompressedClock, createManualClock } from "./clock";
import { RateBudgets } from "./rate-budget";
import { createCoinGeckoSource } from "./source";
import { type FakeCoinGecko, startFakeCoinGecko } from "./testing/fake-coingecko";

// The source driven by the core's pipeline runtime: checkpoints are saved only once the
// target has the data, a stopped backfill resumes where it stopped, and a scheduled
// source polls again without writing anything twice.

const HOUR = 3_600_000;
let directory: string;
let stores = 0;

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), "qicore-coingecko-"));
});
afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

async function pipelineFor(
  clock: Clock,
  source: Record<string, unknown>,
  store: string,
  stateStore: StateStore,
) {
  const registry = createRegistry(createCoinGeckoSource({ clock, budgets: new RateBudgets(), env: {} }));
  const loaded = await Pipeline.fromConfig(
    {
      name: "coingecko-test",
      sources: [{ id: "cg", type: "coingecko", ...source }],
      targets: [{ id: "mem", type: "memory", config: { store } }],
      // Target batches smaller than a source batch: one write never completes two source
      // batches, so each gets a checkpoint of its own to check (the runtime makes one commit of
      // the newest for batches completed together).
      delivery: { batch: { maxRecords: 500, maxWait: "10ms" } },
    },
    { registry, logger: silentLogger, stateStore, baseDir: directory },
  );
  if (!loaded.ok) throw loaded.error;
  return loaded.value;
}

describe("history backfill in a pipeline", () => {
  const clock = createManualClock(Date.parse("2026-05-18T12:00:10Z"));
  const from = Date.parse("2025-10-01T00:00:00Z");
  const to = Date.parse("2026-03-15T00:00:00Z");
  let server: FakeCoinGecko;

  beforeAll(async () => {
    server = await startFakeCoinGecko({ clock });
  });
  afterAll(async () => {
    await server.close();
  });

  it("saves a checkpoint only for points the target holds, and resumes run after run until done", async () => {
    const store = `history-${++stores}`;
    const points = memoryStore(store);
    const saved: Checkpoint[] = [];
    let checked = 0;
    const early: string[] = [];
    const inner = new MemoryStateStore();
    // Every checkpoint the runtime saves is checked against what the target already holds.
    const checking: StateStore = {
      load: (pipeline, source) => inner.load(pipeline, source),
      save: async (pipeline, source, checkpoint) => {
        const cursor = (checkpoint as { history?: BackfillCursor }).history;
        if (cursor?.coin && cursor.from !== undefined && cursor.from > from) {
          const lastBefore = new Date(cursor.from - HOUR).toISOString();
          // Recorded rather than thrown: the runtime would catch an error thrown here.
          if (!points.records.price.has(`aggregate|${cursor.coin}|USD|${lastBefore}`))
            early.push(`${cursor.coin} ${lastBefore}`);
          checked++;
        }
        saved.push(checkpoint);
        await inner.save(pipeline, source, checkpoint);
      },
    };
    const config = {
      config: {
        baseUrl: server.url,
        coins: ["bitcoin", "ethereum"],
        callsPerMinute: 10_000,
        streams: {
          history: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), requestsPerRead: 2 },
        },
      },
    };
    const runs: number[] = [];
    for (let run = 0; run < 5; run++) {
      const pipeline = await pipelineFor(clock, config, store, checking);
      const summary = await pipeline.run();
      await pipeline.destroy();
      expect(summary.error).toBeUndefined();
      runs.push(summary.recordsIn);
      if (summary.recordsIn === 0) break;
    }
    const hours = (to - from) / HOUR;
    expect(runs).toEqual([2160 + 1800, 2160 + 1800, 0]);
    expect(points.size("price")).toBe(2 * hours);
    expect(points.recordsWritten).toBe(2 * hours);
    expect((await inner.load("coingecko-test", "cg")) as { history: BackfillCursor }).toMatchObject({
      history: { done: true },
    });
    expect(saved.length).toBeGreaterThanOrEqual(2);
    expect(checked).toBeGreaterThanOrEqual(2);
    expect(early).toEqual([]);
  });
});

describe("prices polled on a schedule", () => {
  it("polls again every interval and writes each price once", async () => {
    // 300× faster: each 200 ms between polls is a minute for the fake API, so prices move.
    const clock = createCompressedClock(300);
    const server = await startFakeCoinGecko({ clock });
    const store = `prices-${++stores}`;
    try {
      const pipeline = await pipelineFor(
        clock,
        {
          schedule: { every: "200ms" },
          config: { baseUrl: server.url, coins: ["bitcoin", "ethereum"], callsPerMinute: 10_000 },
        },
        store,
        new MemoryStateStore(),
      );
      const started = await pipeline.start();
      expect(started.ok).toBe(true);
      const prices = memoryStore(store);
      // Four polls at least (two coins each), however slow the machine.
      for (let waited = 0; prices.size("price") < 8 && waited < 20_000; waited += 50)
        await new Promise((resolve) => setTimeout(resolve, 50));
      const summary = await pipeline.destroy();
      expect(summary.error).toBeUndefined();
      expect(prices.size("price")).toBeGreaterThanOrEqual(8);
      expect(prices.recordsWritten).toBe(prices.size("price"));
      const paths = server.requests.map((request) => request.path);
      expect(paths[0]).toBe("/ping");
      expect(paths[1]).toBe("/coins/markets");
      expect(new Set(paths.slice(2))).toEqual(new Set(["/simple/price"]));
    } finally {
      await server.close();
    }
  });
});
