import { afterEach, describe, expect, it } from "vitest";
import { type Harness, lastCheckpoint, readOnce, recordsOf, startHarness } from "../test-support/harness";
import { planBatches } from "./batch";
import { createManualClock } from "./clock";
import type { TwelveDataConfigInput } from "./config";
import { identityFrom, toInstrument } from "./instruments";

// One symbol, several markets: Vodafone is VOD in London (XLON, pence) and VOD on Nasdaq (XNGS,
// the ADR in dollars). `exchange` or `mic_code` picks the market at Twelve Data (its docs:
// "exchange: if symbol is traded in multiple exchanges specify the desired one"; "mic_code:
// Market Identifier Code (MIC) under ISO 10383 standard"), and the records name the market
// as exchange records name theirs: `exchangeId` (the MIC, lowercase) beside `instrument`.

// Tuesday 2024-03-12 15:00:10 UTC: both markets open.
const T0 = Date.parse("2024-03-12T15:00:10Z");

let harnesses: Harness[] = [];
afterEach(async () => {
  for (const harness of harnesses) await harness.close();
  harnesses = [];
});

async function start(config: TwelveDataConfigInput) {
  const harness = await startHarness({
    clock: createManualClock(T0),
    config: { creditsPerMinute: 1000, creditsPerDay: 100_000, ...config },
  });
  harnesses.push(harness);
  return harness;
}

describe("a symbol made unique by its market", () => {
  it("mic_code goes to Twelve Data per market, and each market's records carry its MIC as exchangeId", async () => {
    const harness = await start({
      instruments: [
        { symbol: "VOD", micCode: "XLON" },
        { symbol: "VOD", micCode: "XNGS" },
      ],
      streams: { quotes: {}, candles: { interval: "1day", outputsize: 1 } },
    });
    const batches = await readOnce(harness.handlers);
    expect(
      harness.server.requests.map((request) => [request.path, request.query.symbol, request.query.mic_code]),
    ).toEqual([
      ["/quote", "VOD", "XLON"],
      ["/quote", "VOD", "XNGS"],
      ["/time_series", "VOD", "XLON"],
      ["/time_series", "VOD", "XNGS"],
    ]);
    const prices = recordsOf(batches, "price");
    expect(prices.map((price) => [price.instrument, price.exchangeId, price.assetClass])).toEqual([
      ["VOD", "xlon", "equity"],
      ["VOD", "xngs", "equity"],
    ]);
    // Two markets, two prices: London's in pence around 71, the ADR in dollars around 8.9.
    expect(Number(prices[0]?.usdPrice)).toBeGreaterThan(60);
    expect(Number(prices[1]?.usdPrice)).toBeLessThan(10);
    // London quotes in pence (Twelve Data's `GBp`): GBX, not GBP, which would be 100 times off.
    expect(prices.map((price) => price.quote)).toEqual(["GBX", "USD"]);
    const candles = recordsOf(batches, "ohlcv");
    expect(candles.map((candle) => [candle.instrument, candle.exchangeId, candle.timestamp])).toEqual([
      // Each market's day opens at its own midnight: London's (GMT) and New York's (EDT).
      ["VOD", "xlon", Date.parse("2024-03-12T00:00:00Z")],
      ["VOD", "xngs", Date.parse("2024-03-12T04:00:00Z")],
    ]);
    // The checkpoint keeps the two apart (one identity each), so a restart keeps both keys.
    const identities = (lastCheckpoint(batches) as { identities: Record<string, { exchangeId: string }> })
      .identities;
    expect(Object.entries(identities).map(([key, identity]) => [key, identity.exchangeId])).toEqual([
      ["VOD@XLON", "xlon"],
      ["VOD@XNGS", "xngs"],
    ]);
  });

  it("exchange by name: alone as `exchange=`, in a batch as SYMBOL:EXCHANGE, never the same symbol twice in one request; records carry the answer's MIC", async () => {
    const harness = await start({
      instruments: [
        "AAPL",
        { symbol: "VOD", exchange: "LSE" },
        { symbol: "VOD", exchange: "NASDAQ" },
        "EUR/USD",
      ],
    });
    const batches = await readOnce(harness.handlers);
    expect(harness.server.requests.map((request) => [request.query.symbol, request.query.exchange])).toEqual([
      ["AAPL,VOD:LSE,EUR/USD", undefined],
      ["VOD", "NASDAQ"],
    ]);
    expect(recordsOf(batches, "price").map((price) => [price.instrument, price.exchangeId])).toEqual([
      ["AAPL", "xnas"],
      ["VOD", "xlon"],
      ["EUR/USD", "aggregate"],
      ["VOD", "xngs"],
    ]);
  });

  it("a market Twelve Data does not list the symbol on is skipped with a warning naming it; the symbol's other market still lands", async () => {
    const harness = await start({
      instruments: [
        { symbol: "VOD", micCode: "XLON" },
        { symbol: "VOD", micCode: "XPAR" },
      ],
    });
    const prices = recordsOf(await readOnce(harness.handlers), "price");
    expect(prices.map((price) => price.exchangeId)).toEqual(["xlon"]);
    const warnings = harness.logger.lines.filter((line) => line.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toContain("VOD");
  });
});

describe("the reader DSL on a symbol of two markets", () => {
  it("a symbol finds its first configured market; SYMBOL@MIC (the instrument's key) finds the other", async () => {
    const harness = await start({
      instruments: [
        { symbol: "VOD", micCode: "XLON" },
        { symbol: "VOD", micCode: "XNGS" },
      ],
    });
    const getCurrentPrices = harness.handlers.getCurrentPrices as NonNullable<
      typeof harness.handlers.getCurrentPrices
    >;
    const getOHLCV = harness.handlers.getOHLCV as NonNullable<typeof harness.handlers.getOHLCV>;
    expect((await getCurrentPrices(["VOD"])).map((price) => price.exchangeId)).toEqual(["xlon"]);
    expect((await getCurrentPrices(["VOD@XNGS", "VOD@XLON"])).map((price) => price.exchangeId)).toEqual([
      "xngs",
      "xlon",
    ]);
    const candles = await getOHLCV("VOD@XNGS", { timeframe: "1d", limit: 1 });
    expect(candles.map((candle) => [candle.exchangeId, candle.quote])).toEqual([["xngs", "USD"]]);
    expect(harness.server.requests.at(-1)?.query).toMatchObject({ symbol: "VOD", mic_code: "XNGS" });
  });
});

describe("planning requests and naming venues", () => {
  it("splits a group only where a symbol repeats or the size is reached, keeping the order", () => {
    const instruments = [
      toInstrument({ symbol: "AAPL" }),
      toInstrument({ symbol: "VOD", exchange: "LSE" }),
      toInstrument({ symbol: "VOD", exchange: "NASDAQ" }),
      toInstrument({ symbol: "MSFT" }),
      toInstrument({ symbol: "VOD", exchange: "XETRA" }),
    ];
    const plan = (size: number) =>
      planBatches(instruments, size).map((request) => [request.query.symbol, request.query.exchange]);
    expect(plan(120)).toEqual([
      ["AAPL,VOD:LSE,MSFT", undefined],
      ["VOD", "NASDAQ"],
      ["VOD", "XETRA"],
    ]);
    expect(plan(2)).toEqual([
      ["AAPL,VOD:LSE", undefined],
      ["VOD:NASDAQ,MSFT", undefined],
      ["VOD", "XETRA"],
    ]);
  });

  it("the venue is the configured MIC, else the answer's MIC, else an exchange name, else aggregate; once learned it stays", () => {
    const named = toInstrument({ symbol: "AAPL", exchange: "NASDAQ" });
    expect(identityFrom(named, undefined, { micCode: "XNAS", currency: "USD" })?.exchangeId).toBe("xnas");
    expect(identityFrom(named, undefined, { currency: "USD" })?.exchangeId).toBe("nasdaq");
    const configured = toInstrument({ symbol: "AAPL", micCode: "xngs" });
    expect(identityFrom(configured, undefined, { micCode: "XNAS", currency: "USD" })?.exchangeId).toBe(
      "xngs",
    );
    const crypto = toInstrument({ symbol: "BTC/USD", exchange: "Coinbase Pro" });
    expect(identityFrom(crypto, undefined, { exchange: "Coinbase Pro" })?.exchangeId).toBe("coinbase-pro");
    expect(identityFrom(toInstrument({ symbol: "EUR/USD" }), undefined, {})?.exchangeId).toBe("aggregate");
    const kept = { exchangeId: "nasdaq", quote: "USD" };
    expect(identityFrom(named, kept, { micCode: "XNAS" })?.exchangeId).toBe("nasdaq");
  });
});
