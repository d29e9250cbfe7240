import type { Checkpoint } from "@qicore/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Harness,
  lastCheckpoint,
  readOnce,
  recordsOf,
  startHarness,
  TEST_KEY,
} from "../test-support/harness";
import { createManualClock } from "./clock";
import { CreditBudgets } from "./credit-budget";
import { type FakeTwelveData, startFakeTwelveData } from "./testing/fake-twelvedata";

/**
 * A day and half an hour of a free (Basic) key, in simulated time: a stand-in that counts
 * credits as Twelve Data does (8 a calendar minute, 800 a UTC day, 429 beyond) and two sources
 * sharing the key, as two pipelines in one process would:
 *
 * - "live" quotes EUR/USD and BTC/USD every 5 minutes (a pipeline with `schedule: { every: 5m }`):
 *   2 credits × 288 polls = 576 of the day's 800;
 * - "backfill" walks 24 years of hourly candles of six instruments, polled every minute, which
 *   would take more credits than the day has.
 *
 * Expected: not one 429; every live poll answered on time; the backfill spends what the live
 * polls leave (the day ends close to 800), stops with a clear message, and goes on after
 * midnight UTC from its checkpoint.
 */
const MINUTE = 60_000;
const START = Date.parse("2024-03-12T00:00:00Z");
const MIDNIGHT = START + 86_400_000;
const TICKS = 24 * 60 + 30;

describe("a simulated day at the free plan's limits", () => {
  const clock = createManualClock(START);
  const budgets = new CreditBudgets();
  let server: FakeTwelveData;
  let live: Harness;
  let backfill: Harness;
  const polls: { at: number; status: number[]; prices: number }[] = [];
  const backfilled: { at: number; candles: number }[] = [];

  beforeAll(async () => {
    server = await startFakeTwelveData({ clock, keys: { [TEST_KEY]: "basic" } });
    const shared = { existingServer: server, clock, budgets };
    live = await startHarness({ ...shared, id: "live", config: { instruments: ["EUR/USD", "BTC/USD"] } });
    backfill = await startHarness({
      ...shared,
      id: "backfill",
      config: {
        instruments: ["EUR/USD", "GBP/USD", "USD/JPY", "BTC/USD", "ETH/USD", "AAPL"],
        streams: { backfill: { interval: "1h", from: "2000-01-01", to: "2024-03-01", requestsPerRead: 5 } },
      },
    });
    await live.handlers.connect?.();
    await backfill.handlers.connect?.();
    let liveCheckpoint: Checkpoint | undefined;
    let backfillCheckpoint: Checkpoint | undefined;
    for (let tick = 0; tick < TICKS; tick++) {
      const due = START + tick * MINUTE;
      if (clock.now() < due) clock.set(due);
      if (tick % 5 === 0) {
        const before = server.requests.length;
        const at = clock.now();
        const batches = await readOnce(live.handlers, liveCheckpoint);
        liveCheckpoint = lastCheckpoint(batches) ?? liveCheckpoint;
        polls.push({
          at,
          status: server.requests.slice(before).map((request) => request.code ?? request.status),
          prices: recordsOf(batches, "price").length,
        });
      }
      const batches = await readOnce(backfill.handlers, backfillCheckpoint);
      backfillCheckpoint = lastCheckpoint(batches) ?? backfillCheckpoint;
      if (batches.length > 0)
        backfilled.push({ at: clock.now(), candles: recordsOf(batches, "ohlcv").length });
    }
  }, 300_000);

  afterAll(async () => {
    await live?.close();
    await backfill?.close();
    await server?.close();
  });

  it("gets not one 429", () => {
    expect(server.rateLimitedCount()).toBe(0);
    expect(server.requests.filter((request) => request.status !== 200 || request.code !== undefined)).toEqual(
      [],
    );
  });

  it("answers every live poll, each on its 5-minute tick, never waiting for credits", () => {
    const day = polls.filter((poll) => poll.at < MIDNIGHT);
    expect(day).toHaveLength(288);
    for (const [index, poll] of day.entries()) {
      expect(poll.at).toBe(START + index * 5 * MINUTE);
      expect(poll.status).toEqual([200]);
      expect(poll.prices).toBe(2);
    }
    const budget = budgets.budgetFor({
      plan: "basic",
      apiKey: TEST_KEY,
      configured: undefined,
      defaults: { perMinute: 8, perDay: 800 },
      clock,
    });
    expect(budget.snapshot().waited.live.longestMs).toBe(0);
  });

  it("spends the day's credits up to the limit: the backfill takes what the live polls leave, and never more", () => {
    const used = server.creditsOfDay(TEST_KEY, START);
    expect(used).toBeLessThanOrEqual(800);
    expect(used).toBeGreaterThanOrEqual(780);
    const liveCredits =
      server.requests.filter((request) => request.time < MIDNIGHT && request.path === "/quote").length * 2;
    expect(liveCredits).toBe(576);
    const backfillRequests = server.requests.filter(
      (request) => request.time < MIDNIGHT && request.path === "/time_series",
    );
    expect(backfillRequests.length).toBeGreaterThan(190);
    for (let index = 8; index < server.requests.length; index++) {
      const window = server.requests
        .slice(0, index + 1)
        .filter(
          (request) =>
            Math.floor(request.time / MINUTE) === Math.floor((server.requests[index]?.time ?? 0) / MINUTE),
        );
      expect(window.reduce((total, request) => total + request.credits, 0)).toBeLessThanOrEqual(8);
    }
  });

  it("stops the backfill with a message saying when it goes on, and goes on after midnight UTC from its checkpoint", () => {
    const warning = backfill.logger.lines.find(
      (line) => line.level === "warn" && line.message.includes("today's credits"),
    );
    expect(warning?.message).toContain(new Date(MIDNIGHT).toISOString());
    const afterMidnight = backfilled.filter((entry) => entry.at >= MIDNIGHT);
    expect(afterMidnight.reduce((total, entry) => total + entry.candles, 0)).toBeGreaterThan(1000);
    const candles = server.requests.filter((request) => request.path === "/time_series");
    const starts = candles.map((request) => `${request.query.symbol} ${request.query.start_date}`);
    expect(new Set(starts).size).toBe(starts.length);
  });
});
