import { QiError, type SourceBatch, validateRecord } from "@qicore/core";
import { afterEach, describe, expect, it } from "vitest";
import {
  type Harness,
  type HarnessOptions,
  lastCheckpoint,
  readOnce,
  recordsOf,
  startHarness,
} from "../test-support/harness";
import { createManualClock } from "./clock";
import type { CoinGeckoConfigInput } from "./config";

const T0 = Date.parse("2026-05-18T12:00:10Z");
const MINUTE = 60_000;
const DAY = 86_400_000;
const fast = { callsPerMinute: 100_000, retries: 3 } as const;

let harnesses: Harness[] = [];
afterEach(async () => {
  for (const harness of harnesses) await harness.close();
  harnesses = [];
});

async function start(config: CoinGeckoConfigInput, options: Partial<HarnessOptions> = {}) {
  const clock = options.clock ?? createManualClock(T0);
  const harness = await startHarness({ clock, ...options, config: { ...fast, ...config } });
  harnesses.push(harness);
  return { ...harness, clock: clock as ReturnType<typeof createManualClock> };
}

const paths = (harness: Harness) => harness.server.requests.map((request) => request.path);
const keyOf = (record: Record<string, unknown>) =>
  `${record.coinId}|${record.lastUpdated ?? record.timestamp}|${record.timeframe ?? ""}`;

function expectValid(batches: readonly SourceBatch[]) {
  for (const batch of batches)
    for (const record of batch.records) {
      const result = validateRecord(batch.kind, record);
      expect(result.ok, result.ok ? "" : result.error.message).toBe(true);
    }
}

describe("prices of listed coins", () => {
  it("first refresh from /coins/markets (which has symbols), then /simple/price; unchanged prices are not emitted again", async () => {
    const harness = await start({ coins: ["bitcoin", "ethereum"] });
    const first = await readOnce(harness.handlers);
    expect(recordsOf(first, "price").map((record) => [record.coinId, record.symbol])).toEqual([
      ["bitcoin", "BTC"],
      ["ethereum", "ETH"],
    ]);
    expect(recordsOf(first, "price")[0]).toMatchObject({
      exchangeId: "aggregate",
      source: "coingecko",
      attribution: "Data provided by CoinGecko",
      lastUpdated: "2026-05-18T12:00:00.599Z",
    });
    expectValid(first);

    const unchanged = await readOnce(harness.handlers, lastCheckpoint(first));
    expect(unchanged).toEqual([]);

    harness.clock.advance(MINUTE);
    const moved = await readOnce(harness.handlers, lastCheckpoint(first));
    expect(recordsOf(moved, "price").map((record) => [record.coinId, record.lastUpdated])).toEqual([
      ["bitcoin", "2026-05-18T12:01:00.000Z"],
      ["ethereum", "2026-05-18T12:01:00.000Z"],
    ]);
    expect(recordsOf(moved, "price")[0]?.btcPrice).toBe(1);
    expect(paths(harness)).toEqual(["/coins/markets", "/simple/price", "/simple/price"]);
    expect(harness.server.requests[1]?.query).toMatchObject({
      ids: "bitcoin,ethereum",
      vs_currencies: "usd,btc",
      include_last_updated_at: "true",
    });
  });

  it("600 coins cost ceil(600/250) = 3 requests a refresh, at most 250 ids each", async () => {
    const coins = Array.from({ length: 600 }, (_, index) => `coin-${String(index + 3).padStart(4, "0")}`);
    const harness = await start({ coins }, { server: { universe: 700 } });
    const refreshes: number[] = [];
    let checkpoint: unknown;
    for (let refresh = 0; refresh < 3; refresh++) {
      const before = harness.server.requests.length;
      const batches = await readOnce(harness.handlers, checkpoint);
      checkpoint = lastCheckpoint(batches) ?? checkpoint;
      refreshes.push(harness.server.requests.length - before);
      const records = recordsOf(batches, "price");
      expect(new Set(records.map((record) => record.coinId)).size).toBe(records.length);
      expect(records).toHaveLength(refresh === 1 ? 0 : 600);
      harness.clock.advance(refresh === 0 ? 1000 : MINUTE);
    }
    expect(refreshes).toEqual([3, 3, 3]);
    for (const request of harness.server.requests)
      expect((request.query.ids ?? "").split(",").length).toBeLessThanOrEqual(250);
  });

  it("ids CoinGecko does not know are skipped with one warning", async () => {
    const harness = await start({ coins: ["bitcoin", "not-a-coin"] });
    const first = await readOnce(harness.handlers);
    harness.clock.advance(MINUTE);
    await readOnce(harness.handlers, lastCheckpoint(first));
    expect(recordsOf(first, "price").map((record) => record.coinId)).toEqual(["bitcoin"]);
    const warnings = harness.logger.lines.filter((line) =>
      line.message.includes("does not know these coin ids"),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.fields.coins).toEqual(["not-a-coin"]);
    expect(harness.server.requests[1]?.query.ids).toBe("bitcoin");
  });
});

describe("prices of the top N", () => {
  it("pages /coins/markets 250 at a time and takes exactly N coins, largest first", async () => {
    const harness = await start({ topN: 600 });
    const batches = await readOnce(harness.handlers);
    const records = recordsOf(batches, "price");
    expect(records).toHaveLength(600);
    expect(records.slice(0, 3).map((record) => record.coinId)).toEqual(["bitcoin", "ethereum", "coin-0003"]);
    expect(new Set(records.map((record) => record.coinId)).size).toBe(600);
    expect(harness.server.requests.map((request) => [request.query.per_page, request.query.page])).toEqual([
      ["250", "1"],
      ["250", "2"],
      ["250", "3"],
    ]);
    expect(records[0]?.change7d).not.toBeNull();
    const again = await readOnce(harness.handlers, lastCheckpoint(batches));
    expect(recordsOf(again, "price")).toEqual([]);
  });

  it("asks for N per page when N is below 250", async () => {
    const harness = await start({ topN: 100 });
    expect(recordsOf(await readOnce(harness.handlers), "price")).toHaveLength(100);
    expect(harness.server.requests.map((request) => request.query.per_page)).toEqual(["100"]);
  });
});

describe("candles", () => {
  it("days 1 → 30m candles stamped at open time, the newest not final, no volume", async () => {
    const harness = await start({ coins: ["bitcoin"], streams: { ohlcv: { days: 1 } } });
    const candles = recordsOf(await readOnce(harness.handlers), "ohlcv");
    expect(candles.length).toBeGreaterThanOrEqual(47);
    for (const candle of candles) {
      expect(candle).toMatchObject({ timeframe: "30m", volume: null, exchangeId: "aggregate" });
      expect(Date.parse(String(candle.timestamp)) % (30 * MINUTE)).toBe(0);
    }
    const last = candles.at(-1);
    expect(last).toMatchObject({ timestamp: "2026-05-18T12:00:00.000Z", isFinal: false });
    expect(candles.slice(0, -1).every((candle) => candle.isFinal === true)).toBe(true);
    expect(harness.server.requests[0]?.query).toMatchObject({ days: "1", vs_currency: "usd" });
  });

  it("days 30 → 4h candles", async () => {
    const harness = await start({ coins: ["ethereum"], streams: { ohlcv: { days: 30 } } });
    const candles = recordsOf(await readOnce(harness.handlers), "ohlcv");
    expect(new Set(candles.map((candle) => candle.timeframe))).toEqual(new Set(["4h"]));
    expect(Date.parse(String(candles.at(-1)?.timestamp))).toBe(Date.parse("2026-05-18T12:00:00Z"));
  });

  it("later polls emit the candle that closed (now final) and the new open one, never a final candle twice", async () => {
    const harness = await start({ coins: ["bitcoin"], streams: { ohlcv: { days: 1, every: "15m" } } });
    const first = await readOnce(harness.handlers);
    harness.clock.advance(5 * MINUTE);
    expect(await readOnce(harness.handlers, lastCheckpoint(first))).toEqual([]);
    expect(harness.server.requests).toHaveLength(1);
    harness.clock.advance(25 * MINUTE);
    const second = await readOnce(harness.handlers, lastCheckpoint(first));
    expect(recordsOf(second, "ohlcv").map((candle) => [candle.timestamp, candle.isFinal])).toEqual([
      ["2026-05-18T12:00:00.000Z", true],
      ["2026-05-18T12:30:00.000Z", false],
    ]);
    const finals = [...recordsOf(first, "ohlcv"), ...recordsOf(second, "ohlcv")].filter(
      (candle) => candle.isFinal,
    );
    expect(new Set(finals.map(keyOf)).size).toBe(finals.length);
  });
});

describe("market analytics", () => {
  it("emits /global once per updated_at", async () => {
    const harness = await start({ coins: ["bitcoin"], streams: { analytics: {} } });
    const first = await readOnce(harness.handlers);
    expect(recordsOf(first, "analytics")).toEqual([
      expect.objectContaining({ timestamp: "2026-05-18T12:00:00.000Z", activeCryptocurrencies: 17397 }),
    ]);
    expect(await readOnce(harness.handlers, lastCheckpoint(first))).toEqual([]);
    harness.clock.advance(MINUTE);
    expect(recordsOf(await readOnce(harness.handlers, lastCheckpoint(first)), "analytics")).toHaveLength(1);
    expect(paths(harness)).toEqual(["/global", "/global", "/global"]);
  });
});

describe("history backfill", () => {
  const history = (extra: Record<string, unknown> = {}) => ({
    coins: ["bitcoin", "ethereum"],
    streams: { history: { from: "2025-09-01", to: "2026-03-01", ...extra } },
  });

  it("fetches ranges of at most 90 days, keeps hourly points once each, and ends", async () => {
    const harness = await start({ ...history(), once: true });
    const batches = await readOnce(harness.handlers);
    const points = recordsOf(batches, "price");
    const days = (Date.parse("2026-03-01") - Date.parse("2025-09-01")) / DAY;
    expect(points).toHaveLength(2 * days * 24);
    expect(new Set(points.map(keyOf)).size).toBe(points.length);
    for (const request of harness.server.requests.filter((each) =>
      each.path.endsWith("/market_chart/range"),
    )) {
      expect(Number(request.query.to) - Number(request.query.from)).toBeLessThanOrEqual(90 * 86_400);
    }
    expect(batches.at(-1)?.checkpoint).toMatchObject({ history: { done: true } });
    expect(batches[0]?.origin).toMatchObject({ coin: "bitcoin", from: "2025-09-01T00:00:00.000Z" });
    expectValid(batches);
  });

  it("stopped after some ranges, a new instance resumes from the checkpoint: nothing lost, nothing twice", async () => {
    const complete = await start({ ...history(), once: true });
    const expected = recordsOf(await readOnce(complete.handlers), "price")
      .map(keyOf)
      .sort();

    const first = await start({ ...history({ requestsPerRead: 2 }) });
    const firstBatches = await readOnce(first.handlers);
    expect(firstBatches).toHaveLength(2);
    const saved = JSON.parse(JSON.stringify(lastCheckpoint(firstBatches)));
    expect(saved.history).toMatchObject({ coin: "bitcoin", from: Date.parse("2026-02-28T00:00:00Z") });

    const restarted = await start({ ...history({ requestsPerRead: 2 }) });
    const collected = recordsOf(firstBatches, "price");
    let checkpoint: unknown = saved;
    for (let read = 0; read < 10; read++) {
      const batches = await readOnce(restarted.handlers, checkpoint);
      if (batches.length === 0) break;
      collected.push(...recordsOf(batches, "price"));
      checkpoint = lastCheckpoint(batches);
    }
    expect(collected.map(keyOf).sort()).toEqual(expected);
  });

  it("a range that fails is fetched again at the next poll, and the points are the same as without the failure", async () => {
    const complete = await start({ ...history(), once: true });
    const expected = recordsOf(await readOnce(complete.handlers), "price")
      .map(keyOf)
      .sort();

    const harness = await start({ ...history({ requestsPerRead: 10 }), retries: 0 });
    harness.server.inject({
      path: "/coins/bitcoin/market_chart/range",
      kind: "status",
      status: 502,
      times: 1,
    });
    const collected: Record<string, unknown>[] = [];
    let checkpoint: unknown;
    for (let read = 0; read < 5; read++) {
      const batches = await readOnce(harness.handlers, checkpoint);
      collected.push(...recordsOf(batches, "price"));
      checkpoint = lastCheckpoint(batches) ?? checkpoint;
    }
    const warning = harness.logger.lines.find((line) => line.message.includes("poll failed"));
    expect(warning?.fields).toMatchObject({ stream: "history", code: "EXTERNAL_ERROR" });
    expect(collected.map(keyOf).sort()).toEqual(expected);
  });

  it("draws a progress bar on a terminal", async () => {
    const harness = await start({ ...history(), once: true }, { tty: true });
    await readOnce(harness.handlers);
    const drawn = harness.stderr.join("");
    expect(drawn).toContain("coingecko history");
    expect(drawn).toContain("100% (6/6 requests)");
    expect(drawn.endsWith("\n")).toBe(true);
  });
});

describe("candle backfill on a paid plan", () => {
  it("walks /ohlc/range in 179-day daily requests; candles open-stamped, final, within the range", async () => {
    const harness = await start(
      {
        plan: "pro",
        apiKey: "pro-key",
        coins: ["bitcoin"],
        once: true,
        streams: { ohlcvHistory: { from: "2025-01-01", to: "2025-12-01", interval: "daily" } },
      },
      { server: { host: "pro", keys: { "pro-key": "pro" } } },
    );
    const candles = recordsOf(await readOnce(harness.handlers), "ohlcv");
    expect(candles).toHaveLength(334);
    expect(candles[0]).toMatchObject({
      timestamp: "2025-01-01T00:00:00.000Z",
      timeframe: "1d",
      isFinal: true,
    });
    expect(candles.at(-1)?.timestamp).toBe("2025-11-30T00:00:00.000Z");
    expect(new Set(candles.map(keyOf)).size).toBe(334);
    const ranges = harness.server.requests.filter((request) => request.path.endsWith("/ohlc/range"));
    expect(ranges).toHaveLength(2);
    for (const request of ranges)
      expect(Number(request.query.to) - Number(request.query.from)).toBeLessThanOrEqual(180 * 86_400);
  });
});

describe("failures while polling", () => {
  it("polling: a failing stream is logged and the others still deliver", async () => {
    const harness = await start({ coins: ["bitcoin"], retries: 1, streams: { prices: {}, analytics: {} } });
    harness.server.inject({ path: "/global", kind: "status", status: 503, times: 5 });
    const batches = await readOnce(harness.handlers);
    expect(batches.map((batch) => batch.kind)).toEqual(["price"]);
    expect(
      harness.logger.lines.some((line) => line.fields.stream === "analytics" && line.level === "warn"),
    ).toBe(true);
    harness.server.clearFaults();
    const next = await readOnce(harness.handlers, lastCheckpoint(batches));
    expect(next.map((batch) => batch.kind)).toEqual(["analytics"]);
  });

  it("once: the same failure fails the read, so a cron job notices", async () => {
    const harness = await start({
      coins: ["bitcoin"],
      retries: 1,
      once: true,
      streams: { prices: {}, analytics: {} },
    });
    harness.server.inject({ path: "/global", kind: "status", status: 503, times: 5 });
    const error = await readOnce(harness.handlers).catch((thrown: unknown) => thrown);
    expect(QiError.isInstance(error) && error.code).toBe("EXTERNAL_ERROR");
  });

  it("polling: a wrong key is not retried poll after poll; it fails the read with its fix", async () => {
    const harness = await start(
      { coins: ["bitcoin"], plan: "demo", apiKey: "pro-key" },
      { server: { keys: { "pro-key": "pro" } } },
    );
    const error = await readOnce(harness.handlers).catch((thrown: unknown) => thrown);
    expect(QiError.isInstance(error) && error.message).toContain(
      "a Pro key was sent to the Demo URL: set plan: pro",
    );
  });
});

describe("reader DSL", () => {
  it("getCurrentPrices: the listed coins CoinGecko knows", async () => {
    const harness = await start({ coins: ["bitcoin"] });
    const prices = await harness.handlers.getCurrentPrices?.(["bitcoin", "ethereum", "nope", "bitcoin"]);
    expect(prices?.map((price) => price.coinId)).toEqual(["bitcoin", "ethereum"]);
  });

  it("getMarketAnalytics and healthCheck", async () => {
    const harness = await start({ coins: ["bitcoin"] });
    expect((await harness.handlers.getMarketAnalytics?.())?.markets).toBe(1476);
    expect(await harness.handlers.healthCheck?.()).toMatchObject({
      status: "healthy",
      message: "(V3) To the Moon!",
    });
    await harness.server.close();
    expect((await harness.handlers.healthCheck?.())?.status).toBe("unhealthy");
  });

  it("getPriceHistory: hourly points over 100 days in two requests", async () => {
    const harness = await start({ coins: ["bitcoin"] });
    const end = new Date(T0 - DAY);
    const begin = new Date(end.getTime() - 100 * DAY);
    const points = await harness.handlers.getPriceHistory?.("bitcoin", { start: begin, end });
    expect(points?.length).toBeGreaterThanOrEqual(100 * 24);
    expect(paths(harness).filter((path) => path.endsWith("market_chart/range"))).toHaveLength(2);
    for (const point of points ?? []) {
      const time = Date.parse(String(point.lastUpdated));
      expect(time >= begin.getTime() && time <= end.getTime()).toBe(true);
    }
  });

  it("getOHLCV: the smallest window holding the candles asked for; unknown widths are refused with the list", async () => {
    const harness = await start({ coins: ["bitcoin"] });
    const candles = await harness.handlers.getOHLCV?.("bitcoin", { timeframe: "4h", limit: 50 });
    expect(candles).toHaveLength(50);
    expect(candles?.every((candle) => candle.timeframe === "4h")).toBe(true);
    expect(harness.server.requests.at(-1)?.query.days).toBe("14");
    const error = await harness.handlers
      .getOHLCV?.("bitcoin", { timeframe: "5m" })
      .catch((thrown: unknown) => thrown);
    expect(QiError.isInstance(error) && error.message).toContain("use one of 30m, 4h, 4d");
  });

  it("getOHLCV on pro: daily candles for a period come from /ohlc/range", async () => {
    const harness = await start(
      { coins: ["bitcoin"], plan: "pro", apiKey: "pro-key" },
      { server: { host: "pro", keys: { "pro-key": "pro" } } },
    );
    const candles = await harness.handlers.getOHLCV?.("bitcoin", {
      timeframe: "1d",
      start: new Date("2026-01-01T00:00:00Z"),
      end: new Date("2026-01-31T00:00:00Z"),
    });
    expect(candles?.map((candle) => candle.timestamp)).toHaveLength(31);
    expect(paths(harness)).toEqual(["/coins/bitcoin/ohlc/range"]);
  });
});

describe("connect", () => {
  it("on pro without a configured rate, adopts the key's limit from /key", async () => {
    const harness = await start(
      { coins: ["bitcoin"], plan: "pro", apiKey: "pro-key", callsPerMinute: undefined },
      { server: { host: "pro", keys: { "pro-key": "pro" }, limits: { pro: 321 } } },
    );
    await harness.handlers.connect?.();
    const budget = harness.budgets.budgetFor({
      plan: "pro",
      apiKey: "pro-key",
      callsPerMinute: undefined,
      defaultCallsPerMinute: 250,
      clock: harness.clock,
    });
    expect([budget.callsPerMinute, budget.limitSource]).toEqual([321, "discovered"]);
  });

  it("on pro, a server without /key (a proxy, a test server) keeps the default budget with one warning", async () => {
    const harness = await start(
      { coins: ["bitcoin"], plan: "pro", apiKey: "pro-key", callsPerMinute: undefined },
      { server: { host: "pro", keys: { "pro-key": "pro" } } },
    );
    harness.server.inject({ path: "/key", kind: "status", status: 404, body: { error: "Not Found" } });
    await harness.handlers.connect?.();
    const budget = harness.budgets.budgetFor({
      plan: "pro",
      apiKey: "pro-key",
      callsPerMinute: undefined,
      defaultCallsPerMinute: 250,
      clock: harness.clock,
    });
    expect([budget.callsPerMinute, budget.limitSource]).toEqual([250, "default"]);
    const warnings = harness.logger.lines.filter((entry) => entry.level === "warn");
    expect(warnings.map((entry) => entry.message)).toEqual([
      "the server has no /key (HTTP 404); using 250 calls per minute (set callsPerMinute to choose)",
    ]);
    // The key was still checked, with /ping.
    expect(paths(harness)).toEqual(["/key", "/ping"]);
  });

  it("fails with the fix when the key does not fit the host", async () => {
    const harness = await start(
      { coins: ["bitcoin"], plan: "pro", apiKey: "demo-key" },
      { server: { host: "pro", keys: { "demo-key": "demo" } } },
    );
    const error = await harness.handlers.connect?.().catch((thrown: unknown) => thrown);
    expect(QiError.isInstance(error) && error.code).toBe("COINGECKO_WRONG_PLAN");
  });
});
