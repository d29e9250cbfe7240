import { type SourceBatch, validateRecord } from "@qicore/core";
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
import type { TwelveDataConfigInput } from "./config";

// Tuesday 2024-03-12 15:00:10 UTC: 11:00 in New York (EDT), the stock market open.
const T0 = Date.parse("2024-03-12T15:00:10Z");
const MINUTE = 60_000;

let harnesses: Harness[] = [];
afterEach(async () => {
  for (const harness of harnesses) await harness.close();
  harnesses = [];
});

async function start(config: TwelveDataConfigInput, options: Partial<HarnessOptions> = {}) {
  const clock = options.clock ?? createManualClock(T0);
  const harness = await startHarness({
    clock,
    ...options,
    config: { creditsPerMinute: 1000, creditsPerDay: 100_000, ...config },
  });
  harnesses.push(harness);
  return { ...harness, clock: clock as ReturnType<typeof createManualClock> };
}

function expectValid(batches: readonly SourceBatch[]) {
  for (const batch of batches)
    for (const record of batch.records) {
      const result = validateRecord(batch.kind, record);
      expect(result.ok, result.ok ? "" : result.error.message).toBe(true);
    }
}

describe("quotes", () => {
  it("one batched /quote for stocks, forex and crypto, 1 credit per symbol; records say venue, quote and asset class", async () => {
    const harness = await start({ instruments: ["AAPL", "EUR/USD", "BTC/USD"] });
    const batches = await readOnce(harness.handlers);
    expectValid(batches);
    const prices = recordsOf(batches, "price");
    expect(
      prices.map((price) => [
        price.instrument,
        price.exchangeId,
        price.quote,
        price.assetClass,
        price.symbol,
      ]),
    ).toEqual([
      ["AAPL", "xnas", "USD", "equity", "AAPL"],
      ["EUR/USD", "aggregate", "USD", "forex", "EUR"],
      ["BTC/USD", "coinbase-pro", "USD", "crypto", "BTC"],
    ]);
    expect(prices[2]?.coinId).toBe("bitcoin");
    expect(prices[0]?.coinId).toBeUndefined();
    expect(prices[0]).toMatchObject({
      source: "twelvedata",
      attribution: "Data provided by Twelve Data",
      lastUpdated: Date.parse("2024-03-12T15:00:00Z"),
    });
    expect(typeof prices[0]?.usdPrice).toBe("string");
    expect(
      harness.server.requests.map((request) => [request.path, request.query.symbol, request.credits]),
    ).toEqual([["/quote", "AAPL,EUR/USD,BTC/USD", 3]]);
  });

  it("prices that did not move are not emitted again; the next minute's are", async () => {
    const harness = await start({ instruments: ["AAPL", "EUR/USD"] });
    const first = await readOnce(harness.handlers);
    expect(await readOnce(harness.handlers, lastCheckpoint(first))).toEqual([]);
    harness.clock.advance(MINUTE);
    const moved = await readOnce(harness.handlers, lastCheckpoint(first));
    expect(recordsOf(moved, "price").map((price) => price.lastUpdated)).toEqual([
      Date.parse("2024-03-12T15:01:00Z"),
      Date.parse("2024-03-12T15:01:00Z"),
    ]);
  });
});

describe("batches with per-symbol errors", () => {
  it("a symbol Twelve Data does not know fails alone, named in one warning; the others land and it is not asked for again", async () => {
    const harness = await start({ instruments: ["AAPL", "NOPE", "EUR/USD"] });
    const first = await readOnce(harness.handlers);
    expect(recordsOf(first, "price").map((price) => price.instrument)).toEqual(["AAPL", "EUR/USD"]);
    const warnings = harness.logger.lines.filter((line) => line.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toContain("NOPE");
    expect(warnings[0]?.message).toContain("**symbol** not found: NOPE");
    harness.clock.advance(MINUTE);
    await readOnce(harness.handlers, lastCheckpoint(first));
    expect(harness.server.requests.map((request) => request.query.symbol)).toEqual([
      "AAPL,NOPE,EUR/USD",
      "AAPL,EUR/USD",
    ]);
    expect(harness.logger.lines.filter((line) => line.level === "warn")).toHaveLength(1);
  });

  it("a lone unknown symbol's error is the whole answer, and is treated the same", async () => {
    const harness = await start({ instruments: ["NOPE"] });
    expect(await readOnce(harness.handlers)).toEqual([]);
    expect(harness.logger.lines.some((line) => line.level === "warn" && line.message.includes("NOPE"))).toBe(
      true,
    );
  });

  it("batches hold at most the credits of a minute (8 on Basic) and at most symbolsPerRequest", async () => {
    const symbols = ["AAPL", "MSFT", "VOD", "EUR/USD", "GBP/USD", "USD/JPY", "BTC/USD", "ETH/USD", "AAPL"];
    const harness = await start({
      instruments: [...symbols.slice(0, 8), { symbol: "AAPL", micCode: "XNAS" }],
      creditsPerMinute: 8,
    });
    const batches = await readOnce(harness.handlers);
    expect(recordsOf(batches, "price")).toHaveLength(9);
    expect(
      harness.server.requests.map((request) => [
        request.query.symbol,
        request.query.mic_code,
        request.credits,
      ]),
    ).toEqual([
      ["AAPL,MSFT,VOD,EUR/USD,GBP/USD,USD/JPY,BTC/USD,ETH/USD", undefined, 8],
      ["AAPL", "XNAS", 1],
    ]);
    const small = await start({ instruments: symbols.slice(0, 5), symbolsPerRequest: 2 });
    await readOnce(small.handlers);
    expect(small.server.requests.map((request) => request.query.symbol)).toEqual([
      "AAPL,MSFT",
      "VOD,EUR/USD",
      "GBP/USD",
    ]);
  });
});

describe("/price", () => {
  it("the first poll asks /quote (for currency and venue), later ones /price, stamped when answered; an unchanged price is not emitted", async () => {
    const harness = await start({
      instruments: ["AAPL", "EUR/USD"],
      streams: { quotes: { endpoint: "price" } },
    });
    const first = await readOnce(harness.handlers);
    harness.clock.advance(MINUTE);
    const second = await readOnce(harness.handlers, lastCheckpoint(first));
    expect(harness.server.requests.map((request) => request.path)).toEqual(["/quote", "/price"]);
    expect(
      recordsOf(second, "price").map((price) => [price.instrument, price.exchangeId, price.lastUpdated]),
    ).toEqual([
      ["AAPL", "xnas", T0 + MINUTE],
      ["EUR/USD", "aggregate", T0 + MINUTE],
    ]);
    expect(await readOnce(harness.handlers, lastCheckpoint(second))).toEqual([]);
  });
});

describe("candles", () => {
  it("forex candles have no volume, stocks' do; all open on the minute in UTC, the newest not final", async () => {
    const harness = await start({
      instruments: ["AAPL", "EUR/USD"],
      streams: { candles: { interval: "1min", outputsize: 5 } },
    });
    const batches = await readOnce(harness.handlers);
    expectValid(batches);
    const candles = recordsOf(batches, "ohlcv");
    const forex = candles.filter((candle) => candle.instrument === "EUR/USD");
    const stock = candles.filter((candle) => candle.instrument === "AAPL");
    expect(forex).toHaveLength(5);
    expect(forex.every((candle) => candle.volume === null)).toBe(true);
    expect(stock.every((candle) => typeof candle.volume === "string")).toBe(true);
    expect(stock.map((candle) => new Date(Number(candle.timestamp)).toISOString())).toEqual([
      "2024-03-12T14:56:00.000Z",
      "2024-03-12T14:57:00.000Z",
      "2024-03-12T14:58:00.000Z",
      "2024-03-12T14:59:00.000Z",
      "2024-03-12T15:00:00.000Z",
    ]);
    expect(stock.map((candle) => candle.isFinal)).toEqual([true, true, true, true, false]);
    expect(stock[0]).toMatchObject({
      timeframe: "1m",
      exchangeId: "xnas",
      quote: "USD",
      assetClass: "equity",
      base: "AAPL",
    });
    expect(harness.server.requests[0]?.query).toMatchObject({
      symbol: "AAPL,EUR/USD",
      interval: "1min",
      outputsize: "5",
    });
  });

  it("later polls emit the candle that closed (now final) and the new open one, never a final candle twice", async () => {
    const harness = await start({
      instruments: ["BTC/USD"],
      streams: { candles: { interval: "1min", outputsize: 3 } },
    });
    const first = await readOnce(harness.handlers);
    harness.clock.advance(MINUTE);
    const second = await readOnce(harness.handlers, lastCheckpoint(first));
    expect(
      recordsOf(second, "ohlcv").map((candle) => [
        new Date(Number(candle.timestamp)).toISOString(),
        candle.isFinal,
      ]),
    ).toEqual([
      ["2024-03-12T15:00:00.000Z", true],
      ["2024-03-12T15:01:00.000Z", false],
    ]);
    // Enough rows to reach back to the newest final candle (14:59) and a little more, not the first poll's 3.
    expect(harness.server.requests[1]?.query.outputsize).toBe("5");
  });
});

describe("backfill", () => {
  const from = "2024-03-04";
  const to = "2024-03-09";

  it("walks windows of at most 5000 candles per instrument, keeps each candle once, and resumes from its checkpoint", async () => {
    const harness = await start({
      instruments: ["EUR/USD"],
      streams: { backfill: { interval: "1min", from, to, requestsPerRead: 1 } },
    });
    const first = await readOnce(harness.handlers);
    expect(first).toHaveLength(1);
    // A restart: a new instance resumes from the stored checkpoint.
    const again = await start(
      {
        instruments: ["EUR/USD"],
        streams: { backfill: { interval: "1min", from, to, requestsPerRead: 10 } },
      },
      { existingServer: harness.server },
    );
    const rest = await readOnce(again.handlers, JSON.parse(JSON.stringify(lastCheckpoint(first))));
    const candles = [...recordsOf(first, "ohlcv"), ...recordsOf(rest, "ohlcv")];
    const opens = candles.map((candle) => Number(candle.timestamp));
    // Monday to Friday of forex, every minute: 5 days.
    expect(opens).toHaveLength(5 * 1440);
    expect(new Set(opens).size).toBe(opens.length);
    expect(opens[0]).toBe(Date.parse(`${from}T00:00:00Z`));
    expect(opens.at(-1)).toBe(Date.parse("2024-03-08T23:59:00Z"));
    const windows = harness.server.requests.filter((request) => request.path === "/time_series");
    for (const request of windows) expect(Number(request.query.outputsize)).toBeLessThanOrEqual(5000);
    expect(windows[0]?.query).toMatchObject({
      start_date: "2024-03-04T00:00:00",
      end_date: "2024-03-07T11:10:00",
    });
    expect(recordsOf(rest, "ohlcv").every((candle) => candle.isFinal === true)).toBe(true);
  });

  it("a stock whose time zone is not known yet asks 14 hours more on each side, then keeps its own window", async () => {
    const harness = await start({
      instruments: ["AAPL"],
      streams: { backfill: { interval: "1h", from, to } },
      once: true,
    });
    const candles = recordsOf(await readOnce(harness.handlers), "ohlcv");
    const requests = harness.server.requests.filter((request) => request.path === "/time_series");
    expect(requests[0]?.query).toMatchObject({ start_date: "2024-03-03T10:00:00" });
    // 09:30 to 15:30 New York (EST, UTC−5), Monday to Friday: 7 bars a day.
    expect(candles).toHaveLength(5 * 7);
    expect(new Date(Number(candles[0]?.timestamp)).toISOString()).toBe("2024-03-04T14:30:00.000Z");
  });

  it("a stock's daily backfill whose zone is known keeps every trading day up to its end, whichever weekday it ends on", async () => {
    // The live candles answer first and say New York, so the window's end (UTC midnight) is
    // asked as 19:00 of the day before on New York's clock, which cuts that day's bar.
    for (let day = 0; day < 7; day++) {
      const end = Date.parse("2024-02-19T00:00:00Z") + day * 86_400_000;
      const begin = end - 14 * 86_400_000;
      const harness = await start({
        instruments: ["AAPL"],
        streams: {
          candles: { interval: "1h", outputsize: 1 },
          backfill: {
            interval: "1day",
            from: new Date(begin).toISOString().slice(0, 10),
            to: new Date(end).toISOString().slice(0, 10),
          },
        },
        once: true,
      });
      const opens = recordsOf(await readOnce(harness.handlers), "ohlcv")
        .filter((candle) => candle.timeframe === "1d")
        .map((candle) => new Date(Number(candle.timestamp)).toISOString().slice(0, 10));
      const expected: string[] = [];
      for (let open = begin; open < end; open += 86_400_000)
        if (![0, 6].includes(new Date(open).getUTCDay()))
          expected.push(new Date(open).toISOString().slice(0, 10));
      expect(opens, `a backfill ending ${new Date(end).toISOString().slice(0, 10)}`).toEqual(expected);
    }
  });

  it("stock candles across both switches of New York's clocks open at 09:30 local: 14:30Z, then 13:30Z from March 11, then 14:30Z from November 4", async () => {
    const spring = await start({
      instruments: ["AAPL"],
      streams: { backfill: { interval: "1h", from: "2024-03-07", to: "2024-03-12" } },
      once: true,
    });
    const autumn = await start(
      {
        instruments: ["AAPL"],
        streams: { backfill: { interval: "1h", from: "2024-10-31", to: "2024-11-05" } },
        once: true,
      },
      { clock: createManualClock(Date.parse("2024-11-06T15:00:00Z")) },
    );
    const firstOfDay = async (harness: Harness) => {
      const opens = recordsOf(await readOnce(harness.handlers), "ohlcv").map((candle) =>
        new Date(Number(candle.timestamp)).toISOString(),
      );
      return [...new Set(opens.map((open) => open.slice(0, 10)))].map((day) =>
        opens.find((open) => open.startsWith(day)),
      );
    };
    expect(await firstOfDay(spring)).toEqual([
      "2024-03-07T14:30:00.000Z",
      "2024-03-08T14:30:00.000Z",
      "2024-03-11T13:30:00.000Z",
    ]);
    expect(await firstOfDay(autumn)).toEqual([
      "2024-10-31T13:30:00.000Z",
      "2024-11-01T13:30:00.000Z",
      "2024-11-04T14:30:00.000Z",
    ]);
  });

  it("stops when the day's credits are spent, with one warning naming when it goes on, and goes on after midnight UTC", async () => {
    const clock = createManualClock(Date.parse("2024-03-12T23:50:00Z"));
    const harness = await start(
      {
        instruments: ["EUR/USD", "GBP/USD"],
        streams: {
          backfill: { interval: "1day", from: "2020-01-01", to: "2024-03-01", requestsPerRead: 100 },
        },
        creditsPerMinute: 8,
        creditsPerDay: 800,
      },
      { clock },
    );
    harness.server.inject({ kind: "daily-limit", path: "/time_series" });
    const first = await readOnce(harness.handlers);
    expect(first).toEqual([]);
    const warning = harness.logger.lines.find((line) => line.level === "warn");
    expect(warning?.message).toContain("today's credits are spent");
    expect(warning?.message).toContain("2024-03-13T00:00:00.000Z");
    clock.set(Date.parse("2024-03-13T00:00:05Z"));
    const next = await readOnce(harness.handlers);
    expect(recordsOf(next, "ohlcv").length).toBeGreaterThan(2 * 1000);
  });
});
