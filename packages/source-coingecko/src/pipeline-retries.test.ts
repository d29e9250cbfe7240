/**
 * One owner for retries: a CoinGecko call that fails for a passing reason is retried by the
 * pipeline's delivery.retry, and only by it. The fake server counts the attempts.
 */
import { createRegistry, memoryStore, Pipeline, silentLogger } from "@qicore/core";
import { MemoryStateStore } from "@qicore/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createManualClock } from "./clock";
import { RateBudgets } from "./rate-budget";
import { createCoinGeckoSource } from "./source";
import { type FakeCoinGecko, startFakeCoinGecko } from "./testing/fake-coingecko";

const clock = createManualClock(Date.parse("2026-05-18T12:00:10Z"));
let server: FakeCoinGecko | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function runAgainstFake(retry: Record<string, unknown>) {
  server = await startFakeCoinGecko({ clock });
  const store = `coingecko-retries-${Date.now()}-${Math.random()}`;
  const loaded = await Pipeline.fromConfig(
    {
      name: "coingecko-retries",
      sources: [
        {
          id: "cg",
          type: "coingecko",
          config: {
            baseUrl: server.url,
            coins: ["bitcoin", "ethereum"],
            once: true,
            callsPerMinute: 10_000,
            streams: { prices: {} },
          },
        },
      ],
      targets: [{ id: "mem", type: "memory", config: { store } }],
      delivery: { retry: { initialDelay: 1, maxDelay: 5, ...retry } },
    },
    {
      registry: createRegistry(createCoinGeckoSource({ clock, budgets: new RateBudgets(), env: {} })),
      logger: silentLogger,
      stateStore: new MemoryStateStore(),
    },
  );
  if (!loaded.ok) throw loaded.error;
  return { pipeline: loaded.value, store, server };
}

const marketCalls = (fake: FakeCoinGecko) =>
  fake.requests.filter((request) => request.path === "/coins/markets");

describe("retries of CoinGecko calls in a pipeline", () => {
  it("a truncated body is read again by the pipeline's retry: the prices arrive once", async () => {
    const { pipeline, store, server: fake } = await runAgainstFake({});
    fake.inject({ path: "/coins/markets", kind: "truncated" });
    const summary = await pipeline.run();
    expect(summary).toMatchObject({ state: "stopped", deadLetters: 0 });
    expect(
      memoryStore(store)
        .list("price")
        .map((record) => (record as { coinId: string }).coinId)
        .sort(),
    ).toEqual(["bitcoin", "ethereum"]);
    expect(marketCalls(fake).map((request) => request.status)).toEqual([200, 200]);
    expect(pipeline.metricsSnapshot().retries).toEqual({ cg: 1 });
  });

  it("a call failing with 503 gets exactly delivery.retry.maxAttempts attempts, then the run fails", async () => {
    const { pipeline, server: fake } = await runAgainstFake({ maxAttempts: 4 });
    fake.inject({
      path: "/coins/markets",
      kind: "status",
      status: 503,
      body: { error: "maintenance" },
      times: Number.POSITIVE_INFINITY,
    });
    const summary = await pipeline.run();
    expect(summary.state).toBe("failed");
    expect(summary.error).toMatchObject({ code: "RETRIES_EXHAUSTED" });
    expect(summary.error?.message).toContain("HTTP 503");
    expect(marketCalls(fake)).toHaveLength(4);
  });
});
