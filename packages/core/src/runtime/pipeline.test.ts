import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineSource } from "../adapters/define";
import { ADAPTER_CONTRACT_VERSION, type SourceBatch } from "../adapters/types";
import { memoryStore } from "../builtin/memory-target";
import { createRegistry } from "../registry/registry";
import { createMemoryLogger, silentLogger } from "./logger";
import { Pipeline } from "./pipeline";
import { MemoryStateStore } from "./state-store";

let storeCounter = 0;
const uniqueStore = (label: string) => `${label}-${++storeCounter}-${Date.now()}`;

/** A source emitting fixed batches (not trusted: the runtime validates what it yields). */
const scriptedSource = defineSource({
  name: "scripted",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema: z.object({ script: z.string() }),
  capabilities: { kinds: ["price"], ack: true },
  create: ({ script }) => ({
    async *read() {
      for (const batch of scripts.get(script) ?? []) yield batch;
    },
  }),
});
const scripts = new Map<string, SourceBatch[]>();

const price = (coinId: string, minute: number, usdPrice: unknown = "100.5") => ({
  coinId,
  symbol: coinId.slice(0, 3).toUpperCase(),
  usdPrice,
  lastUpdated: new Date(Date.UTC(2024, 0, 1, 0, minute)).toISOString(),
  source: "test",
  attribution: "test",
});

async function runPipeline(config: Record<string, unknown>, stateStore = new MemoryStateStore()) {
  const loaded = await Pipeline.fromConfig(
    {
      name: "test",
      delivery: { retry: { maxAttempts: 3, initialDelay: 1, maxDelay: 5 }, ...(config.delivery as object) },
      ...withoutDelivery(config),
    },
    { registry: createRegistry(scriptedSource), logger: silentLogger, stateStore },
  );
  if (!loaded.ok) throw loaded.error;
  const pipeline = loaded.value;
  const initialized = await pipeline.initialize();
  if (!initialized.ok) throw initialized.error;
  const summary = await pipeline.run();
  await pipeline.destroy();
  return { pipeline, summary, stateStore };
}

function withoutDelivery(config: Record<string, unknown>) {
  const { delivery: _delivery, ...rest } = config;
  return rest;
}

describe("Pipeline", () => {
  it("runs a bounded source to the end, writes everything once and commits the final checkpoint", async () => {
    const store = uniqueStore("bounded");
    const { summary, stateStore } = await runPipeline({
      sources: [
        {
          id: "gen",
          type: "synthetic",
          config: { coins: ["bitcoin", "ethereum"], count: 5_000, batchSize: 300 },
        },
      ],
      targets: [{ id: "mem", type: "memory", config: { store } }],
      delivery: { batch: { maxRecords: 700, maxWait: "20ms" } },
    });
    expect(summary).toMatchObject({
      state: "stopped",
      recordsIn: 5_000,
      recordsOut: { mem: 5_000 },
      deadLetters: 0,
    });
    expect(memoryStore(store).size("price")).toBe(5_000);
    expect(await stateStore.load("test", "gen")).toEqual({ next: 5_000 });
  });

  it("resumes from the committed checkpoint instead of reading again", async () => {
    const store = uniqueStore("resume");
    const stateStore = new MemoryStateStore();
    await stateStore.save("test", "gen", { next: 4_000 });
    const { summary } = await runPipeline(
      {
        sources: [{ id: "gen", type: "synthetic", config: { count: 5_000 } }],
        targets: [{ id: "mem", type: "memory", config: { store } }],
      },
      stateStore,
    );
    expect(summary.recordsIn).toBe(1_000);
    expect(memoryStore(store).writeCalls).toBeGreaterThan(0);
  });

  it("routes record kinds to the targets the routes name", async () => {
    const prices = uniqueStore("prices");
    const everything = uniqueStore("all");
    const { summary } = await runPipeline({
      sources: [{ id: "gen", type: "synthetic", config: { count: 100, kinds: ["price", "ohlcv"] } }],
      targets: [
        { id: "prices", type: "memory", config: { store: prices } },
        { id: "all", type: "memory", config: { store: everything } },
      ],
      routes: [
        { from: "gen", to: ["prices", "all"], kinds: ["price"] },
        { from: "gen", to: ["all"], kinds: ["ohlcv"] },
      ],
    });
    expect(summary.recordsOut).toEqual({ prices: 100, all: 200 });
    expect(memoryStore(prices).size("ohlcv")).toBe(0);
    expect(memoryStore(everything).size("ohlcv")).toBe(100);
  });

  it("retries a transient failure and then delivers everything", async () => {
    const store = uniqueStore("flaky");
    const { summary } = await runPipeline({
      sources: [{ id: "gen", type: "synthetic", config: { count: 1_000 } }],
      targets: [{ id: "flaky", type: "memory", config: { store, failFirstWrites: 2 } }],
    });
    expect(summary).toMatchObject({ recordsOut: { flaky: 1_000 }, deadLetters: 0 });
    expect(memoryStore(store).size("price")).toBe(1_000);
  });

  it("keeps delivering to healthy targets when one refuses batches for good, and dead-letters what it refused", async () => {
    const healthy = uniqueStore("healthy");
    const dead = uniqueStore("dlq");
    const { summary, stateStore } = await runPipeline({
      sources: [{ id: "gen", type: "synthetic", config: { count: 600, batchSize: 200 } }],
      targets: [
        { id: "healthy", type: "memory", config: { store: healthy } },
        { id: "refusing", type: "memory", config: { store: uniqueStore("refusing"), refuseAll: true } },
        { id: "dlq", type: "memory", config: { store: dead } },
      ],
      routes: [{ from: "gen", to: ["healthy", "refusing"] }],
      delivery: { deadLetter: { target: "dlq" } },
    });
    expect(memoryStore(healthy).size("price")).toBe(600);
    expect(summary.deadLetters).toBe(600);
    const letters = memoryStore(dead).deadLetters;
    expect(letters).toHaveLength(600);
    expect(letters[0]).toMatchObject({
      kind: "price",
      targetId: "refusing",
      sourceId: "gen",
      attempts: 1,
      reason: { code: "WRITE_FAILED" },
    });
    // Written to the healthy target or to the dead-letter destination: nothing lost, so acknowledged.
    expect(await stateStore.load("test", "gen")).toEqual({ next: 600 });
  });

  it("dead-letters only the records a target refuses; the rest of the batch lands", async () => {
    const store = uniqueStore("picky");
    const dead = uniqueStore("dlq");
    const { summary } = await runPipeline({
      sources: [{ id: "gen", type: "synthetic", config: { coins: ["bitcoin", "ethereum"], count: 100 } }],
      targets: [
        { id: "picky", type: "memory", config: { store, rejectCoins: ["ethereum"] } },
        { id: "dlq", type: "memory", config: { store: dead } },
      ],
      routes: [{ from: "gen", to: ["picky"] }],
      delivery: { deadLetter: { target: "dlq" } },
    });
    expect(memoryStore(store).size("price")).toBe(50);
    expect(summary.recordsOut.picky).toBe(50);
    expect(
      memoryStore(dead).deadLetters.map((letter) => (letter.record as { coinId: string }).coinId),
    ).toEqual(Array.from({ length: 50 }, () => "ethereum"));
  });

  it("validates records from untrusted sources: a poison record is dead-lettered with its origin, its batch still lands", async () => {
    const store = uniqueStore("poison");
    const dead = uniqueStore("dlq");
    scripts.set("poison", [
      {
        kind: "price",
        records: [price("bitcoin", 0), price("bitcoin", 1, "NaN-ish"), price("ethereum", 1)],
        checkpoint: 1,
        origin: { partition: 3, offset: "41" },
      },
      { kind: "price", records: [{ coinId: "bitcoin" }, price("solana", 2)], checkpoint: 2 },
    ]);
    const { summary, stateStore } = await runPipeline({
      sources: [{ id: "kafka", type: "scripted", config: { script: "poison" } }],
      targets: [
        { id: "db", type: "memory", config: { store } },
        { id: "dlq", type: "memory", config: { store: dead } },
      ],
      routes: [{ from: "kafka", to: ["db"] }],
      delivery: { deadLetter: { target: "dlq" } },
    });
    expect(memoryStore(store).size("price")).toBe(3);
    const letters = memoryStore(dead).deadLetters;
    expect(letters).toHaveLength(2);
    expect(letters[0]).toMatchObject({
      sourceId: "kafka",
      origin: { partition: 3, offset: "41" },
      reason: { code: "VALIDATION_FAILED" },
    });
    expect(letters[0]?.reason.message).toContain("usdPrice");
    expect(letters[1]?.reason.message).toMatch(/symbol|usdPrice|lastUpdated/);
    expect(summary.recordsFailed.kafka).toBe(2);
    expect(await stateStore.load("test", "kafka")).toBe(2);
  });

  it("bounds the records in flight: a slow target makes the source wait", async () => {
    const store = uniqueStore("slow");
    const loaded = await Pipeline.fromConfig(
      {
        name: "test",
        sources: [{ id: "gen", type: "synthetic", config: { count: 3_000, batchSize: 100 } }],
        targets: [{ id: "slow", type: "memory", config: { store, latencyMs: 5 } }],
        delivery: { batch: { maxRecords: 100, maxWait: "5ms" }, maxInFlightRecords: 300 },
      },
      { registry: createRegistry(), logger: silentLogger, stateStore: new MemoryStateStore() },
    );
    if (!loaded.ok) throw loaded.error;
    const pipeline = loaded.value;
    let highest = 0;
    const sampler = setInterval(() => {
      highest = Math.max(highest, pipeline.metricsSnapshot().queueDepth);
    }, 1);
    const summary = await pipeline.run();
    clearInterval(sampler);
    expect(summary.recordsOut.slow).toBe(3_000);
    expect(highest).toBeGreaterThan(0);
    expect(highest).toBeLessThanOrEqual(300);
  });

  it("stops on request: drains what was read, acknowledges only what was written", async () => {
    const store = uniqueStore("stop");
    const stateStore = new MemoryStateStore();
    const loaded = await Pipeline.fromConfig(
      {
        name: "test",
        sources: [{ id: "gen", type: "synthetic", config: { ratePerSecond: 20_000, batchSize: 100 } }],
        targets: [{ id: "mem", type: "memory", config: { store, latencyMs: 2 } }],
        delivery: { batch: { maxRecords: 250, maxWait: "10ms" } },
      },
      { registry: createRegistry(), logger: silentLogger, stateStore },
    );
    if (!loaded.ok) throw loaded.error;
    const pipeline = loaded.value;
    await pipeline.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const summary = await pipeline.stop();
    await pipeline.destroy();
    const written = memoryStore(store).size("price");
    expect(summary.state).toBe("stopped");
    expect(written).toBeGreaterThan(0);
    expect(summary.recordsIn).toBe(written);
    expect(await stateStore.load("test", "gen")).toEqual({ next: written });
  });

  it("fails the run, and acknowledges nothing more, when the dead-letter destination fails", async () => {
    const stateStore = new MemoryStateStore();
    const { summary } = await runPipeline(
      {
        sources: [{ id: "gen", type: "synthetic", config: { count: 500, batchSize: 100 } }],
        targets: [
          { id: "down", type: "memory", config: { store: uniqueStore("down"), refuseAll: true } },
          { id: "dlq", type: "memory", config: { store: uniqueStore("dlq2"), failAlways: true } },
        ],
        routes: [{ from: "gen", to: ["down"] }],
        delivery: { deadLetter: { target: "dlq" } },
      },
      stateStore,
    );
    expect(summary.state).toBe("failed");
    expect(summary.error?.message).toMatch(/dead-letter destination/);
    expect(await stateStore.load("test", "gen")).toBeUndefined();
  });

  it("is not ready while a coin's newest data is older than the freshness limit", async () => {
    const loaded = await Pipeline.fromConfig(
      {
        name: "test",
        sources: [{ id: "gen", type: "synthetic", config: { coins: ["bitcoin"], count: 10 } }],
        targets: [{ id: "mem", type: "memory", config: { store: uniqueStore("fresh") } }],
        health: { freshness: { maxAge: "1h", coins: ["bitcoin", "ethereum"] } },
      },
      { registry: createRegistry(), logger: silentLogger, stateStore: new MemoryStateStore() },
    );
    if (!loaded.ok) throw loaded.error;
    const pipeline = loaded.value;
    await pipeline.initialize();
    expect(pipeline.health()).toMatchObject({ live: true, ready: false });
    await pipeline.run();
    const health = pipeline.health(Date.parse("2024-01-01T00:30:00Z"));
    expect(health.reasons).toContain("no data yet for ethereum");
    expect(health.reasons.some((reason) => reason.startsWith("bitcoin"))).toBe(false);
    expect(
      pipeline
        .health(Date.parse("2024-01-01T05:00:00Z"))
        .reasons.some((reason) => /^bitcoin data is \d+s old/.test(reason)),
    ).toBe(true);
    const text = pipeline.metrics.prometheus();
    expect(text).toMatch(/qicore_records_out_total\{pipeline="test",adapter="mem"\} 10/);
    expect(text).toMatch(
      /qicore_data_age_seconds\{pipeline="test",exchange="aggregate",instrument="bitcoin"\} \d+/,
    );
    expect(text).toMatch(/qicore_batch_write_seconds_count\{pipeline="test",adapter="mem"\} 1/);
  });

  it("logs each retry with the target and the attempt", async () => {
    const logger = createMemoryLogger();
    const loaded = await Pipeline.fromConfig(
      {
        name: "test",
        sources: [{ id: "gen", type: "synthetic", config: { count: 10 } }],
        targets: [{ id: "mem", type: "memory", config: { store: uniqueStore("log"), failFirstWrites: 1 } }],
        delivery: { retry: { maxAttempts: 2, initialDelay: 1, maxDelay: 1 } },
      },
      { registry: createRegistry(), logger, stateStore: new MemoryStateStore() },
    );
    if (!loaded.ok) throw loaded.error;
    await loaded.value.run();
    const retry = logger.lines.find((line) => line.message === "write failed, retrying until it passes");
    expect(retry?.fields).toMatchObject({
      adapter: "mem",
      attempt: 1,
      error: "memory target: simulated outage",
    });
    expect(logger.lines.find((line) => line.message === "write recovered")?.fields).toMatchObject({
      adapter: "mem",
      attempts: 2,
    });
  });
});
