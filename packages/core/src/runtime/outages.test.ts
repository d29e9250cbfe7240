/**
 * Outages are waited out, never dead-lettered: a target or a source that fails with a
 * passing (retryable) error is retried by the runtime until it passes, with readiness saying
 * why meanwhile; only a bound in delivery.retry turns a long outage into a failure of the run.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineSource } from "../adapters/define";
import { ADAPTER_CONTRACT_VERSION, type Checkpoint, type SourceBatch } from "../adapters/types";
import { memoryStore } from "../builtin/memory-target";
import { QiError } from "../errors/qi-error";
import { createRegistry } from "../registry/registry";
import { createMemoryLogger, silentLogger } from "./logger";
import { Pipeline } from "./pipeline";
import { MemoryStateStore } from "./state-store";

let counter = 0;
const unique = (label: string) => `${label}-${++counter}-${Date.now()}`;

const price = (minute: number) => ({
  coinId: "bitcoin",
  symbol: "BTC",
  usdPrice: `${100 + minute}.5`,
  lastUpdated: new Date(Date.UTC(2024, 0, 1, 0, minute)).toISOString(),
  source: "test",
  attribution: "test",
});

/**
 * A source of 10 batches of 10 prices that fails with a passing error at the reads listed
 * in `failAt` (after that many batches of the read), and records the checkpoint each read got.
 */
function flakySource(failAt: number[], retryable = true) {
  const reads: (Checkpoint | undefined)[] = [];
  const definition = defineSource({
    name: "flaky",
    contractVersion: ADAPTER_CONTRACT_VERSION,
    coreVersion: ">=0.0.0",
    configSchema: z.strictObject({}),
    capabilities: { kinds: ["price"], replay: true, bounded: true },
    create: () => ({
      async *read({ checkpoint }): AsyncIterable<SourceBatch> {
        const call = reads.push(checkpoint) - 1;
        const failAfter = failAt[call];
        let next = typeof checkpoint === "number" ? checkpoint : 0;
        let yielded = 0;
        while (next < 10) {
          if (failAfter !== undefined && yielded === failAfter) {
            throw new QiError({
              code: "NETWORK_ERROR",
              message: "connection reset by peer",
              category: "NETWORK",
              retryable,
            });
          }
          yield {
            kind: "price",
            records: Array.from({ length: 10 }, (_, index) => price(next * 10 + index)),
            checkpoint: next + 1,
          };
          next++;
          yielded++;
        }
      },
    }),
  });
  return { definition, reads };
}

async function load(
  config: Record<string, unknown>,
  extra: {
    registry?: ReturnType<typeof createRegistry>;
    logger?: ReturnType<typeof createMemoryLogger>;
  } = {},
) {
  const stateStore = new MemoryStateStore();
  const loaded = await Pipeline.fromConfig(
    { name: "outages", ...config },
    { registry: extra.registry ?? createRegistry(), logger: extra.logger ?? silentLogger, stateStore },
  );
  if (!loaded.ok) throw loaded.error;
  return { pipeline: loaded.value, stateStore };
}

describe("a target outage", () => {
  it("is waited out: every record written once, none dead-lettered, retries counted", async () => {
    const store = unique("outage");
    const { pipeline, stateStore } = await load({
      sources: [{ id: "gen", type: "synthetic", config: { coins: ["bitcoin"], count: 500, batchSize: 100 } }],
      targets: [{ id: "db", type: "memory", config: { store, failFirstWrites: 25 } }],
      delivery: { retry: { initialDelay: 1, maxDelay: 2 }, batch: { maxRecords: 100, maxWait: "5ms" } },
    });
    const summary = await pipeline.run();
    expect(summary).toMatchObject({ state: "stopped", deadLetters: 0, recordsOut: { db: 500 } });
    expect(memoryStore(store).size("price")).toBe(500);
    expect(pipeline.metricsSnapshot().retries).toEqual({ db: 25 });
    expect(pipeline.metricsSnapshot().outageSeconds.db).toBeGreaterThanOrEqual(0);
    expect(await stateStore.load("outages", "gen")).toEqual({ next: 500 });
    expect(pipeline.metrics.prometheus()).toContain(
      'qicore_retries_total{pipeline="outages",adapter="db"} 25',
    );
  });

  it("makes the pipeline not ready, with the reason, while it lasts", async () => {
    const { pipeline } = await load({
      sources: [{ id: "gen", type: "synthetic", config: { coins: ["bitcoin"], count: 10 } }],
      targets: [{ id: "db", type: "memory", config: { store: unique("down"), failAlways: true } }],
      delivery: { retry: { initialDelay: 1, maxDelay: 5 } },
    });
    await pipeline.start();
    await expect.poll(() => pipeline.health().ready, { timeout: 5_000 }).toBe(false);
    await expect
      .poll(() => pipeline.health().reasons.join("\n"), { timeout: 5_000 })
      .toMatch(/"db" write is failing for \d+ s \(\d+ attempts\), retrying: memory target: simulated outage/);
    expect(pipeline.health().live).toBe(true);
    const summary = await pipeline.stop({ timeoutMs: 50 });
    // A stop that gave up waiting: nothing written, so nothing dead-lettered and nothing acknowledged.
    expect(summary).toMatchObject({ state: "stopped", deadLetters: 0 });
  });

  it("fails the run past delivery.retry's bounds, dead-letters nothing and acknowledges nothing", async () => {
    const store = unique("bounded");
    const { pipeline, stateStore } = await load({
      sources: [{ id: "gen", type: "synthetic", config: { coins: ["bitcoin"], count: 100, batchSize: 50 } }],
      targets: [{ id: "db", type: "memory", config: { store, failAlways: true } }],
      delivery: { retry: { maxAttempts: 4, initialDelay: 1, maxDelay: 2 } },
    });
    const summary = await pipeline.run();
    expect(summary.state).toBe("failed");
    expect(summary.error).toMatchObject({ code: "RETRIES_EXHAUSTED" });
    expect(summary.error?.message).toMatch(/simulated outage \(still failing after 4 attempts/);
    expect(summary.deadLetters).toBe(0);
    expect(memoryStore(store).writeCalls).toBe(4);
    expect(await stateStore.load("outages", "gen")).toBeUndefined();
  });
});

describe("a source that fails", () => {
  it("with a passing error is read again from the last batch taken: every record once, the run goes on", async () => {
    const flaky = flakySource([3, 0, 2]);
    const store = unique("flaky");
    const logger = createMemoryLogger();
    const { pipeline } = await load(
      {
        sources: [{ id: "src", type: "flaky" }],
        targets: [{ id: "db", type: "memory", config: { store } }],
        delivery: { retry: { initialDelay: 1, maxDelay: 2 } },
      },
      { registry: createRegistry(flaky.definition), logger },
    );
    const summary = await pipeline.run();
    expect(summary).toMatchObject({ state: "stopped", recordsIn: 100, deadLetters: 0 });
    expect(memoryStore(store).recordsWritten).toBe(100);
    // Read 1 failed after 3 batches, read 2 at once, read 3 after 2 more: each resumed where the last left off.
    expect(flaky.reads).toEqual([undefined, 3, 3, 5]);
    expect(pipeline.metricsSnapshot().retries).toEqual({ src: 3 });
    expect(
      logger.lines.some((line) => line.message === "read recovered" && line.fields.adapter === "src"),
    ).toBe(true);
  });

  it("with an error that is not retryable ends the run with that error", async () => {
    const flaky = flakySource([2], false);
    const { pipeline } = await load(
      {
        sources: [{ id: "src", type: "flaky" }],
        targets: [{ id: "db", type: "memory", config: { store: unique("x") } }],
      },
      { registry: createRegistry(flaky.definition) },
    );
    const summary = await pipeline.run();
    expect(summary.state).toBe("failed");
    expect(summary.error?.message).toContain("connection reset by peer");
    expect(flaky.reads).toHaveLength(1);
  });

  it("past delivery.retry's maxAttempts ends the run as RETRIES_EXHAUSTED", async () => {
    const flaky = flakySource([0, 0, 0, 0, 0, 0]);
    const { pipeline } = await load(
      {
        sources: [{ id: "src", type: "flaky" }],
        targets: [{ id: "db", type: "memory", config: { store: unique("y") } }],
        delivery: { retry: { maxAttempts: 3, initialDelay: 1, maxDelay: 1 } },
      },
      { registry: createRegistry(flaky.definition) },
    );
    const summary = await pipeline.run();
    expect(summary.error).toMatchObject({ code: "RETRIES_EXHAUSTED" });
    expect(flaky.reads).toHaveLength(3);
  });
});
