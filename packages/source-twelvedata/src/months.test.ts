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
import { fixtureJson } from "./fixtures";
import { toInstrument } from "./instruments";
import { candlesFromSeries } from "./mappers";
import type { TimeSeriesResponse } from "./responses";

// Monthly candles: a bucket opens at midnight of the 1st on the exchange's clock and ends at
// midnight of the next 1st, so its UTC open moves with the exchange's daylight saving (New York:
// 05:00Z in winter, 04:00Z in summer; London: 00:00Z, then 23:00Z of the day before).

const iso = (ms: unknown) => new Date(Number(ms)).toISOString();

let harnesses: Harness[] = [];
afterEach(async () => {
  for (const harness of harnesses) await harness.close();
  harnesses = [];
});

async function start(config: TwelveDataConfigInput, at: string, options: Partial<HarnessOptions> = {}) {
  const clock = createManualClock(Date.parse(at));
  const harness = await startHarness({
    clock,
    ...options,
    config: { creditsPerMinute: 1000, creditsPerDay: 100_000, ...config },
  });
  harnesses.push(harness);
  return { ...harness, clock };
}

function expectValid(batches: readonly SourceBatch[]) {
  for (const batch of batches)
    for (const record of batch.records) {
      const result = validateRecord(batch.kind, record);
      expect(result.ok, result.ok ? "" : result.error.message).toBe(true);
    }
}

describe("monthly rows as candles", () => {
  const aapl = toInstrument({ symbol: "AAPL", micCode: "XNAS" });
  const newYork = { exchangeId: "xnas", quote: "USD", timeZone: "America/New_York" };
  const monthly = () => fixtureJson<TimeSeriesResponse>("time-series-monthly.json");

  it("the documented AAPL answer with interval=1month: buckets open at New York's midnight of the 1st (05:00Z, 04:00Z after the March switch), timeframe 1mo, the current month not final", () => {
    const { candles } = candlesFromSeries(
      aapl,
      newYork,
      monthly(),
      "1month",
      Date.parse("2024-04-15T15:00:00Z"),
    );
    expect(candles.map((candle) => [iso(candle.timestamp), candle.isFinal, candle.timeframe])).toEqual([
      ["2024-02-01T05:00:00.000Z", true, "1mo"],
      ["2024-03-01T05:00:00.000Z", true, "1mo"],
      ["2024-04-01T04:00:00.000Z", false, "1mo"],
    ]);
    for (const candle of candles) expect(validateRecord("ohlcv", candle).ok).toBe(true);
    expect(candles[1]).toMatchObject({ volume: "1432782800", exchangeId: "xnas", instrument: "AAPL" });
  });

  it("a month is final from the exchange's midnight of the next 1st, not UTC's", () => {
    const march = (now: string) =>
      candlesFromSeries(aapl, newYork, monthly(), "1month", Date.parse(now)).candles.find(
        (candle) => iso(candle.timestamp) === "2024-03-01T05:00:00.000Z",
      )?.isFinal;
    expect(march("2024-04-01T00:00:00Z")).toBe(false);
    expect(march("2024-04-01T03:59:59Z")).toBe(false);
    expect(march("2024-04-01T04:00:00Z")).toBe(true);
  });

  it("a row dated later in its month (its first trading day) is still the bucket of the 1st", () => {
    const series = monthly();
    series.values = [{ datetime: "2024-09-03", open: "1", high: "2", low: "0.5", close: "1.5" }];
    const { candles } = candlesFromSeries(
      aapl,
      newYork,
      series,
      "1month",
      Date.parse("2024-11-01T00:00:00Z"),
    );
    expect(candles.map((candle) => iso(candle.timestamp))).toEqual(["2024-09-01T04:00:00.000Z"]);
  });

  it("London's April opens at 23:00Z of March 31 (BST began that day); a pair in UTC at 00:00Z", () => {
    const vod = toInstrument({ symbol: "VOD", micCode: "XLON" });
    const series = monthly();
    series.values = [{ datetime: "2024-04-01", open: "1", high: "2", low: "0.5", close: "1.5" }];
    const london = { exchangeId: "xlon", quote: "GBX", timeZone: "Europe/London" };
    const utc = { exchangeId: "aggregate", quote: "USD", timeZone: "UTC" };
    const now = Date.parse("2024-06-01T12:00:00Z");
    expect(iso(candlesFromSeries(vod, london, series, "1month", now).candles[0]?.timestamp)).toBe(
      "2024-03-31T23:00:00.000Z",
    );
    const pair = candlesFromSeries(toInstrument({ symbol: "EUR/USD" }), utc, series, "1month", now).candles;
    expect(pair.map((candle) => [iso(candle.timestamp), candle.volume])).toEqual([
      ["2024-04-01T00:00:00.000Z", null],
    ]);
  });
});

describe("the 1month candle stream against the stand-in", () => {
  it("stocks on New York's and London's clocks and forex in UTC; the month that closes becomes final once, the new one opens", async () => {
    const harness = await start(
      {
        instruments: ["AAPL", "VOD", "EUR/USD"],
        streams: { candles: { interval: "1month", outputsize: 2 } },
      },
      "2024-04-10T15:00:10Z",
    );
    const first = await readOnce(harness.handlers);
    expectValid(first);
    const rows = (batches: SourceBatch[]) =>
      recordsOf(batches, "ohlcv").map((candle) => [
        candle.instrument,
        iso(candle.timestamp),
        candle.isFinal,
        candle.timeframe,
        candle.volume === null ? "no volume" : "volume",
      ]);
    expect(rows(first)).toEqual([
      ["AAPL", "2024-03-01T05:00:00.000Z", true, "1mo", "volume"],
      ["AAPL", "2024-04-01T04:00:00.000Z", false, "1mo", "volume"],
      ["VOD", "2024-03-01T00:00:00.000Z", true, "1mo", "volume"],
      ["VOD", "2024-03-31T23:00:00.000Z", false, "1mo", "volume"],
      ["EUR/USD", "2024-03-01T00:00:00.000Z", true, "1mo", "no volume"],
      ["EUR/USD", "2024-04-01T00:00:00.000Z", false, "1mo", "no volume"],
    ]);
    expect(harness.server.requests[0]?.query).toMatchObject({
      symbol: "AAPL,VOD,EUR/USD",
      interval: "1month",
      outputsize: "2",
    });
    // April 30 is the 30th day of a 30-day month: April is still open, its candle moved.
    harness.clock.set(Date.parse("2024-04-30T20:00:10Z"));
    const late = await readOnce(harness.handlers, lastCheckpoint(first));
    expect(rows(late).map(([symbol, open, isFinal]) => [symbol, open, isFinal])).toEqual([
      ["AAPL", "2024-04-01T04:00:00.000Z", false],
      ["VOD", "2024-03-31T23:00:00.000Z", false],
      ["EUR/USD", "2024-04-01T00:00:00.000Z", false],
    ]);
    // Past New York's midnight of May 1 (04:00Z): April is over everywhere.
    harness.clock.set(Date.parse("2024-05-01T04:00:30Z"));
    const second = await readOnce(harness.handlers, lastCheckpoint(late));
    expect(rows(second)).toEqual([
      ["AAPL", "2024-04-01T04:00:00.000Z", true, "1mo", "volume"],
      ["AAPL", "2024-05-01T04:00:00.000Z", false, "1mo", "volume"],
      ["VOD", "2024-03-31T23:00:00.000Z", true, "1mo", "volume"],
      ["VOD", "2024-04-30T23:00:00.000Z", false, "1mo", "volume"],
      ["EUR/USD", "2024-04-01T00:00:00.000Z", true, "1mo", "no volume"],
      ["EUR/USD", "2024-05-01T00:00:00.000Z", false, "1mo", "no volume"],
    ]);
  });

  it("a 1month backfill pages per instrument across reads, keeps each final month once, and ends", async () => {
    const config: TwelveDataConfigInput = {
      instruments: ["AAPL", "EUR/USD"],
      streams: { backfill: { interval: "1month", from: "2023-01-01", to: "2024-04-01", requestsPerRead: 1 } },
    };
    const harness = await start(config, "2024-04-10T15:00:10Z");
    const first = await readOnce(harness.handlers);
    // A restart between the two windows: the second instance goes on from the checkpoint.
    const again = await start(config, "2024-04-10T15:01:10Z", { existingServer: harness.server });
    const second = await readOnce(again.handlers, JSON.parse(JSON.stringify(lastCheckpoint(first))));
    const third = await readOnce(again.handlers, lastCheckpoint(second));
    for (const batches of [first, second, third]) expectValid(batches);
    const opens = (batches: SourceBatch[], symbol: string) =>
      recordsOf(batches, "ohlcv")
        .filter((candle) => candle.instrument === symbol)
        .map((candle) => iso(candle.timestamp));
    const aapl = opens(first, "AAPL");
    expect(aapl).toHaveLength(15);
    expect(aapl.slice(0, 3)).toEqual([
      "2023-01-01T05:00:00.000Z",
      "2023-02-01T05:00:00.000Z",
      "2023-03-01T05:00:00.000Z",
    ]);
    // 2023-03-12 moved New York to EDT: April to October open at 04:00Z, November on at 05:00Z.
    expect(aapl.slice(3, 11).every((open) => open.endsWith("T04:00:00.000Z"))).toBe(true);
    expect(aapl.slice(10)).toEqual([
      "2023-11-01T04:00:00.000Z",
      "2023-12-01T05:00:00.000Z",
      "2024-01-01T05:00:00.000Z",
      "2024-02-01T05:00:00.000Z",
      "2024-03-01T05:00:00.000Z",
    ]);
    expect(opens(first, "EUR/USD")).toEqual([]);
    const pair = opens(second, "EUR/USD");
    expect(pair).toHaveLength(15);
    expect(new Set(pair).size).toBe(15);
    expect(pair[0]).toBe("2023-01-01T00:00:00.000Z");
    expect(pair.at(-1)).toBe("2024-03-01T00:00:00.000Z");
    expect(recordsOf([...first, ...second], "ohlcv").every((candle) => candle.isFinal === true)).toBe(true);
    expect(recordsOf(third, "ohlcv")).toEqual([]);
    expect(third.at(-1)?.origin).toMatchObject({ backfill: "done" });
    const windows = harness.server.requests.filter((request) => request.path === "/time_series");
    expect(
      windows.map((request) => [request.query.symbol, request.query.start_date, request.query.end_date]),
    ).toEqual([
      // AAPL's zone is not known before its first answer: 14 hours more on each side.
      ["AAPL", "2022-12-31T10:00:00", "2024-04-01T14:00:00"],
      ["EUR/USD", "2023-01-01T00:00:00", "2024-04-01T00:00:00"],
    ]);
  });

  it("getOHLCV with the core's 1mo asks Twelve Data for 1month", async () => {
    const harness = await start({ instruments: ["AAPL"] }, "2024-04-10T15:00:10Z");
    const getOHLCV = harness.handlers.getOHLCV as NonNullable<typeof harness.handlers.getOHLCV>;
    const candles = await getOHLCV("AAPL", { timeframe: "1mo", limit: 2 });
    expect(candles.map((candle) => [iso(candle.timestamp), candle.isFinal])).toEqual([
      ["2024-03-01T05:00:00.000Z", true],
      ["2024-04-01T04:00:00.000Z", false],
    ]);
    expect(harness.server.requests.at(-1)?.query).toMatchObject({ interval: "1month", outputsize: "2" });
  });
});
