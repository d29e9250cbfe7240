import { type CryptoOHLCV, validateRecord } from "@qicore/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { requireTimescaleUrl } from "../../../test/services";
import { createScratchDatabase } from "../test-support/services";
import {
  createTimescaleReader,
  createTimescaleTarget,
  type TimescaleReader,
  type TimescaleTarget,
} from "./index";

// Candles of stocks and forex carry no coin id: they are named by the venue's symbol
// (`instrument`) on a venue (`exchangeId`), in a quote currency, as Twelve Data's source writes
// them. The reader must give them back by that identity, on the real TimescaleDB.

const url = requireTimescaleUrl();
let database: Awaited<ReturnType<typeof createScratchDatabase>>;
beforeAll(async () => {
  database = await createScratchDatabase(url, "reader_instruments");
});
afterAll(async () => database?.drop());

let opened: { target: TimescaleTarget; reader: TimescaleReader }[] = [];
afterEach(async () => {
  for (const { target, reader } of opened) {
    await reader.close();
    await target.disconnect();
  }
  opened = [];
});

let schemas = 0;
/** A target and a reader on a schema of this test's own, with `records` written. */
async function store(records: CryptoOHLCV[]): Promise<TimescaleReader> {
  schemas++;
  const schema = `reader_instruments_${process.pid}_${schemas}`;
  const target = createTimescaleTarget({ connectionString: database.url, schema });
  await target.connect();
  const report = await target.writeRecords("ohlcv", records);
  expect(report.failures, "every candle is written").toEqual([]);
  const reader = createTimescaleReader({ connectionString: database.url, schema });
  opened.push({ target, reader });
  return reader;
}

/** A candle as the schema outputs it (what is stored and read back). */
function candle(fields: {
  instrument: string;
  exchangeId: string;
  quote: string;
  assetClass: string;
  timeframe: string;
  timestamp: string;
  close: string;
  volume?: string | null;
  coinId?: string;
}): CryptoOHLCV {
  const result = validateRecord("ohlcv", {
    ...fields,
    open: fields.close,
    high: fields.close,
    low: fields.close,
    volume: fields.volume ?? null,
    isFinal: true,
    source: "twelvedata",
    attribution: "Data provided by Twelve Data",
  });
  if (!result.ok) throw result.error;
  return result.value;
}

// Vodafone trades as VOD on London (in pence) and on Nasdaq (the ADR, in dollars): one symbol,
// two series, told apart by venue and quote.
const vodLondon = (timestamp: string, close: string) =>
  candle({
    instrument: "VOD",
    exchangeId: "xlon",
    quote: "GBP",
    assetClass: "equity",
    timeframe: "1mo",
    timestamp,
    close,
  });
const vodNasdaq = (timestamp: string, close: string) =>
  candle({
    instrument: "VOD",
    exchangeId: "xnas",
    quote: "USD",
    assetClass: "equity",
    timeframe: "1mo",
    timestamp,
    close,
  });
const eurUsd = (timestamp: string, close: string) =>
  candle({
    instrument: "EUR/USD",
    exchangeId: "aggregate",
    quote: "USD",
    assetClass: "forex",
    timeframe: "1mo",
    timestamp,
    close,
  });
const aaplDaily = (timestamp: string, close: string) =>
  candle({
    instrument: "AAPL",
    exchangeId: "xnas",
    quote: "USD",
    assetClass: "equity",
    timeframe: "1d",
    timestamp,
    close,
    volume: "48000000",
  });

const MARCH = "2024-03-01T00:00:00.000Z";
const APRIL_LONDON = "2024-03-31T23:00:00.000Z";
const APRIL_NEW_YORK = "2024-04-01T04:00:00.000Z";
const MAY_LONDON = "2024-04-30T23:00:00.000Z";
const EVER = [new Date("2000-01-01T00:00:00Z"), new Date("2100-01-01T00:00:00Z")] as const;

const records = [
  vodLondon(MARCH, "71.52"),
  vodLondon(APRIL_LONDON, "70.1"),
  vodLondon(MAY_LONDON, "69.94"),
  vodNasdaq("2024-03-01T05:00:00.000Z", "8.89"),
  vodNasdaq(APRIL_NEW_YORK, "8.76"),
  eurUsd(MARCH, "1.0787"),
  eurUsd("2024-04-01T00:00:00.000Z", "1.0665"),
  eurUsd("2024-05-01T00:00:00.000Z", "1.0848"),
  aaplDaily("2024-04-01T04:00:00.000Z", "170.03"),
  aaplDaily("2024-04-02T04:00:00.000Z", "168.84"),
  candle({
    instrument: "bitcoin",
    coinId: "bitcoin",
    exchangeId: "aggregate",
    quote: "USD",
    assetClass: "crypto",
    timeframe: "1mo",
    timestamp: MARCH,
    close: "71333.65",
  }),
];

function unwrap<T>(result: { ok: true; value: T } | { ok: false; error: Error }): T {
  if (!result.ok) throw result.error;
  return result.value;
}

describe("reading stored candles by instrument on TimescaleDB", () => {
  it("getCandles gives a symbol's candles of one width, every venue's, oldest first; exchangeId and quote pick one series", async () => {
    const reader = await store(records);
    const both = unwrap(await reader.getCandles("VOD", "1mo", ...EVER));
    expect(both.map((row) => [row.timestamp, row.exchangeId, row.quote, row.close])).toEqual([
      [MARCH, "xlon", "GBP", "71.52"],
      ["2024-03-01T05:00:00.000Z", "xnas", "USD", "8.89"],
      [APRIL_LONDON, "xlon", "GBP", "70.1"],
      [APRIL_NEW_YORK, "xnas", "USD", "8.76"],
      [MAY_LONDON, "xlon", "GBP", "69.94"],
    ]);
    // Exactly what was written: no coin id invented, no volume where there was none.
    expect(unwrap(await reader.getCandles("VOD", "1mo", ...EVER, { exchangeId: "xnas" }))).toEqual([
      records[3],
      records[4],
    ]);
    expect(
      unwrap(await reader.getCandles("VOD", "1mo", ...EVER, { quote: "GBP" })).map((row) => row.exchangeId),
    ).toEqual(["xlon", "xlon", "xlon"]);
    expect(
      unwrap(await reader.getCandles("VOD", "1mo", ...EVER, { exchangeId: "xnas", quote: "GBP" })),
    ).toEqual([]);
  });

  it("the width is part of the series, start is inclusive and end exclusive, and the limit caps the answer", async () => {
    const reader = await store(records);
    expect(unwrap(await reader.getCandles("AAPL", "1d", ...EVER))).toEqual([records[8], records[9]]);
    expect(unwrap(await reader.getCandles("AAPL", "1mo", ...EVER))).toEqual([]);
    const forex = unwrap(
      await reader.getCandles("EUR/USD", "1mo", new Date(MARCH), new Date("2024-05-01T00:00:00.000Z")),
    );
    expect(forex.map((row) => [row.timestamp, row.volume])).toEqual([
      [MARCH, null],
      ["2024-04-01T00:00:00.000Z", null],
    ]);
    expect(forex[0]).not.toHaveProperty("coinId");
    expect(unwrap(await reader.getCandles("EUR/USD", "1mo", ...EVER, { limit: 1 }))).toEqual([records[5]]);
  });

  it("getLatestCandles gives the newest candles of an instrument, oldest first; coin-id candles read as before, months included", async () => {
    const reader = await store(records);
    expect(unwrap(await reader.getLatestCandles("EUR/USD", "1mo", 2))).toEqual([records[6], records[7]]);
    expect(
      unwrap(await reader.getLatestCandles("VOD", "1mo", 1, { exchangeId: "xnas" })).map(
        (row) => row.timestamp,
      ),
    ).toEqual([APRIL_NEW_YORK]);
    // Without a coin id, a stock is not found by coin; the coin's own candles still are.
    expect(unwrap(await reader.getLatestOHLCV("VOD", "1mo", 10))).toEqual([]);
    expect(unwrap(await reader.getLatestOHLCV("bitcoin", "1mo", 10))).toEqual([records[10]]);
    expect(unwrap(await reader.getLatestCandles("bitcoin", "1mo", 10))).toEqual([records[10]]);
  });

  it("refuses what it cannot read with a message naming the argument", async () => {
    const reader = await store(records.slice(0, 1));
    const monthWord = await reader.getCandles("VOD", "1month", ...EVER);
    expect(!monthWord.ok && [monthWord.error.code, monthWord.error.message]).toEqual([
      "VALIDATION_FAILED",
      'timescale reader: timeframe "1month" is not a candle width such as 1m, 1h, 1d, 1w or 1mo',
    ]);
    const noSymbol = await reader.getLatestCandles("", "1mo", 1);
    expect(!noSymbol.ok && noSymbol.error.message).toContain("instrument must be a non-empty string");
    const backwards = await reader.getCandles("VOD", "1mo", EVER[1], EVER[0]);
    expect(!backwards.ok && backwards.error.message).toMatch(/start .* is after end/);
    const badQuote = await reader.getCandles("VOD", "1mo", ...EVER, { quote: "" });
    expect(!badQuote.ok && badQuote.error.message).toContain("quote must be a non-empty string");
    const badCount = await reader.getLatestCandles("VOD", "1mo", 0);
    expect(!badCount.ok && badCount.error.message).toContain("count must be a positive integer");
  });
});
