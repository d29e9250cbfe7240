import type { Checkpoint } from "@qicore/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, lastCheckpoint, readOnce, startHarness } from "../test-support/harness";
import { createCompressedClock } from "./clock";
import { RateBudgets } from "./rate-budget";
import { type FakeCoinGecko, startFakeCoinGecko } from "./testing/fake-coingecko";

/**
 * One hour of a Demo key, in compressed time (60× faster: one minute), against a
 * fake CoinGecko that enforces the Demo limit of 30 calls per sliding minute and answers
 * 429 beyond it. Four sources share the key, as four pipelines in one process would:
 *
 * - "live" polls prices of 400 coins every 30 s (plus /global every minute and candles of
 *   two coins every 15 minutes), as a pipeline with `schedule: { every: 30s }` does;
 * - three backfills walk the history of 598 other coins as fast as the budget lets them, so
 *   the key runs at its limit while they last (three, so that they keep asking even when
 *   compressed time makes each round trip look long).
 *
 * Expected: not one 429; every price refresh costs at most ceil(400/250) = 2 requests, and
 * live reads barely wait although the backfills want every call they can get.
 */
// 60×, not faster: every millisecond the machine holds the process back costs SPEED
// simulated milliseconds of budget, and at 120× a loaded CI machine (load average 6 on two
// cores) lost enough of each simulated minute to look like an idle key.
const SPEED = 60;
const HOUR = 3_600_000;
const EVERY = 30_000;
const LIVE_COINS = Array.from({ length: 400 }, (_, index) => coin(index + 3));
const BACKFILL_COINS = Array.from({ length: 598 }, (_, index) => coin(index + 403));

function coin(rank: number): string {
  return `coin-${String(rank).padStart(4, "0")}`;
}

describe("a simulated hour at the Demo budget", () => {
  const clock = createCompressedClock(SPEED, Date.parse("2026-05-18T12:00:00Z"));
  const budgets = new RateBudgets();
  let server: FakeCoinGecko;
  let live: Harness;
  const backfills: Harness[] = [];
  const refreshes: { startedAt: number; endedAt: number; priceRequests: number }[] = [];
  let backfillRanges = 0;

  beforeAll(async () => {
    server = await startFakeCoinGecko({
      clock,
      keys: { "demo-key": "demo" },
      limits: { demo: 30 },
      universe: 1000,
    });
    const shared = { existingServer: server, clock, budgets, env: { COINGECKO_DEMO_API_KEY: "demo-key" } };
    live = await startHarness({
      ...shared,
      config: {
        plan: "demo",
        coins: LIVE_COINS,
        streams: {
          prices: {},
          analytics: { every: "1m" },
          ohlcv: { coins: ["bitcoin", "ethereum"], days: 1, every: "15m" },
        },
      },
    });
    const from = new Date(clock.now() - 100 * 86_400_000).toISOString();
    const to = new Date(clock.now() - 98 * 86_400_000).toISOString();
    for (let part = 0; part < 3; part++) {
      const coins = BACKFILL_COINS.filter((_, index) => index % 3 === part);
      backfills.push(
        await startHarness({
          ...shared,
          config: { plan: "demo", streams: { history: { coins, from, to, requestsPerRead: 20 } } },
        }),
      );
    }

    // Connecting checks each key with one call and warms the HTTP client up.
    for (const harness of [live, ...backfills]) await harness.handlers.connect?.();
    const end = clock.now() + HOUR;
    const stop = new AbortController();
    const livePoller = (async () => {
      let checkpoint: Checkpoint | undefined;
      for (let due = clock.now(); due < end; due += EVERY) {
        await clock.sleep(due - clock.now());
        const startedAt = clock.now();
        const before = server.requests.length;
        const batches = await readOnce(live.handlers, checkpoint);
        checkpoint = lastCheckpoint(batches) ?? checkpoint;
        const priceRequests = server.requests
          .slice(before)
          .filter((request) => LIVE_COINS.includes((request.query.ids ?? "").split(",")[0] ?? "")).length;
        refreshes.push({ startedAt, endedAt: clock.now(), priceRequests });
      }
      stop.abort();
    })();
    const backfillers = backfills.map(async (backfill) => {
      let checkpoint: Checkpoint | undefined;
      while (!stop.signal.aborted) {
        const batches = await readOnce(backfill.handlers, checkpoint, stop.signal);
        backfillRanges += batches.length;
        checkpoint = lastCheckpoint(batches) ?? checkpoint;
        if (batches.length === 0) await clock.sleep(EVERY, stop.signal);
      }
    });
    await Promise.all([livePoller, ...backfillers]);
  }, 180_000);

  afterAll(async () => {
    await live?.close();
    for (const backfill of backfills) await backfill.close();
    await server?.close();
  });

  it("gets not one 429", () => {
    expect(server.rateLimitedCount()).toBe(0);
    expect(server.requests.filter((request) => request.status !== 200)).toEqual([]);
  });

  it("uses the whole budget while the backfill runs, and never more than 30 requests in a minute", () => {
    const times = server.requests.map((request) => request.time);
    for (let index = 30; index < times.length; index++)
      expect((times[index] as number) - (times[index - 30] as number)).toBeGreaterThan(60_000 - 1);
    const first = times[0] as number;
    const lastBackfill = Math.max(
      ...server.requests
        .filter((request) => request.path.endsWith("/market_chart/range"))
        .map((request) => request.time),
    );
    const perMinute = new Map<number, number>();
    for (const time of times)
      perMinute.set(
        Math.floor((time - first) / 60_000),
        (perMinute.get(Math.floor((time - first) / 60_000)) ?? 0) + 1,
      );
    const busyMinutes = [...perMinute.entries()].filter(
      ([minute]) => (minute + 1) * 60_000 < lastBackfill - first,
    );
    expect(busyMinutes.length).toBeGreaterThan(10);
    // Compressed time stretches each HTTP round trip SPEED times, which slows the one-at-a-time
    // backfill a little on a loaded machine; on average the key still runs near its limit.
    const average = busyMinutes.reduce((total, [, count]) => total + count, 0) / busyMinutes.length;
    expect(average).toBeGreaterThanOrEqual(25);
    for (const [, count] of busyMinutes) expect(count).toBeGreaterThanOrEqual(20);
    expect(backfillRanges).toBe(BACKFILL_COINS.length);
  });

  it("refreshes 400 coins every 30 seconds with at most ceil(400/250) = 2 requests each", () => {
    expect(refreshes).toHaveLength(HOUR / EVERY);
    for (const refresh of refreshes) expect(refresh.priceRequests).toBeLessThanOrEqual(Math.ceil(400 / 250));
    expect(refreshes.filter((refresh) => refresh.priceRequests === 2).length).toBeGreaterThan(100);
  });

  it("serves live reads first: they barely wait for the budget while backfills wait their turn", () => {
    const { waited } = budgets
      .budgetFor({
        plan: "demo",
        apiKey: "demo-key",
        callsPerMinute: undefined,
        defaultCallsPerMinute: 30,
        clock,
      })
      .snapshot();
    const meanLive = waited.live.totalMs / waited.live.calls;
    const meanBackfill = waited.backfill.totalMs / waited.backfill.calls;
    expect(meanLive).toBeLessThan(1_000);
    expect(meanBackfill).toBeGreaterThan(3 * meanLive);
    // A refresh needing several calls at once may wait a few seconds for the later ones, but
    // no live call ever waited as long as the polling interval.
    expect(waited.live.longestMs).toBeLessThan(EVERY);
    // The pace held: the last of the 120 refreshes started within the hour's last minute.
    expect((refreshes.at(-1)?.startedAt ?? 0) - (refreshes[0]?.startedAt ?? 0)).toBeLessThan(HOUR);
  });
});
