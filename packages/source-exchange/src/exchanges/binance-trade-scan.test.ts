import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { frozenClock } from "../clock";
import { RecordFactory } from "../records";
import { BinanceProtocol } from "./binance";
import { BinanceTradeScanner } from "./binance-trade-scan";

// The scanner must change nothing but the speed: for every frame, scanned or not, decode
// gives what JSON.parse and the mapper give (the same events and records, or the same
// error), and the scanner takes only frames it reads exactly.

const fixture = (name: string) =>
  JSON.stringify(JSON.parse(readFileSync(new URL(`../__fixtures__/${name}`, import.meta.url), "utf8")));
const TRADE = fixture("binance-trade.json");
const AGG_TRADE = fixture("binance-agg-trade.json");
// As the benchmark's server and Binance send it: the documented key order, no blanks.
const LIVE =
  '{"stream":"btcusdt@trade","data":{"e":"trade","E":1767225600001,"s":"BTCUSDT","t":1,"p":"60001.01000000","q":"0.00001000","T":1767225600001,"m":false,"M":true}}';

function protocol(scanTrades: boolean, tradeStream: "trade" | "aggTrade" = "trade") {
  const factory = new RecordFactory({
    exchangeId: "binance",
    source: "binance",
    attribution: "Data from Binance",
  });
  const binance = new BinanceProtocol(factory, frozenClock(Date.UTC(2026, 0, 1)), tradeStream, scanTrades);
  binance.use([
    { symbol: "BNBBTC", base: "BNB", quote: "BTC" },
    { symbol: "BTCUSDT", base: "BTC", quote: "USDT", coinId: "bitcoin" },
  ]);
  return binance;
}

const scanning = protocol(true);
const parsing = protocol(false);

function outcome(binance: BinanceProtocol, frame: string) {
  try {
    return { decoded: binance.decode(frame, 1_767_225_600_500) };
  } catch (thrown) {
    return { error: `${(thrown as Error).name}: ${(thrown as Error).message}` };
  }
}

/** Decodes `frame` both ways, expects the same outcome, and says whether the scanner took it. */
function compare(frame: string): boolean {
  expect(outcome(scanning, frame), frame).toEqual(outcome(parsing, frame));
  return new BinanceTradeScanner().scan(frame);
}

describe("Binance trade scanner", () => {
  it("takes trade and aggTrade frames as Binance sends them, with the records JSON.parse gives", () => {
    for (const frame of [TRADE, AGG_TRADE, LIVE]) {
      expect(compare(frame), frame).toBe(true);
      expect(outcome(scanning, frame).decoded?.events).toHaveLength(1);
    }
    const [event] = scanning.decode(LIVE, 1_767_225_600_500).events;
    expect(event).toMatchObject({
      type: "trade",
      stream: "trades:BTCUSDT",
      sequence: 1,
      time: 1_767_225_600_001,
      record: {
        tradeId: "1",
        price: "60001.01000000",
        amount: "0.00001000",
        side: "buy",
        coinId: "bitcoin",
        timestamp: "2026-01-01T00:00:00.001Z",
        receivedAt: "2026-01-01T00:00:00.500Z",
      },
    });
  });

  it("leaves every other form to JSON.parse, with the same result or the same error", () => {
    const variants = [
      // Valid JSON the scanner does not read: blanks, escapes, repeated or unknown keys, other shapes.
      JSON.stringify(JSON.parse(TRADE), null, 2),
      `${LIVE} `,
      LIVE.replace('"p":"60001.01000000"', '"p":"6000\\u0031.01000000"'),
      LIVE.replace('"p":"60001.01000000"', '"p":"1","p":"2"'),
      LIVE.replace('"M":true', '"M":true,"X":1'),
      LIVE.replace('{"stream":"btcusdt@trade",', '{"stream":"btcusdt@trade","extra":null,'),
      '{"data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1","q":"1","T":1,"m":true,"M":true},"stream":"x"}',
      // Values of other types: the mapper takes them as they come, the runtime's schema judges the record.
      LIVE.replace('"p":"60001.01000000"', '"p":60001.01'),
      LIVE.replace('"t":1,', '"t":12345678901234567890,'),
      LIVE.replace('"t":1,', '"t":1234567890123456,'),
      LIVE.replace('"t":1,', '"t":-1,'),
      LIVE.replace('"t":1,', '"t":1.5,'),
      LIVE.replace('"T":1767225600001', '"T":1.767225600001e12'),
      LIVE.replace('"m":false', '"m":1'),
      LIVE.replace('"m":false', '"m":"false"'),
      LIVE.replace(',"m":false', ""),
      LIVE.replace(',"p":"60001.01000000"', ""),
      LIVE.replace('"t":1,', ""),
      LIVE.replace('"e":"trade"', '"e":"aggTrade"'),
      LIVE.replace('"e":"trade"', '"e":"serverShutdown"'),
      LIVE.replace('"s":"BTCUSDT"', '"s":7'),
      '{"result":null,"id":1}',
      '{"code":2,"msg":"Invalid request"}',
      // Not JSON: JSON.parse's error either way.
      LIVE.replace('"t":1,', '"t":01,'),
      LIVE.replace('"p":"60001.01000000"', '"p":"60001.01\t000000"'),
      `${LIVE}}`,
      `<html>${LIVE}`,
      "",
    ];
    expect(variants.filter(compare)).toEqual([]);
  });

  it("reads the narrow form whatever the values, for any symbol, and leaves other key orders to JSON.parse", () => {
    const narrow = [
      '{"stream":"","data":{"e":"trade","E":0,"s":"BTCUSDT","t":0,"p":"1","q":"2","T":0,"m":true,"M":false}}',
      '{"stream":"x","data":{"e":"trade","E":5,"s":"BTCUSDT","t":999999999999999,"p":"","q":"é€","T":5,"m":true,"M":true}}',
      '{"stream":"x","data":{"e":"aggTrade","E":5,"s":"BNBBTC","a":7,"p":"1","q":"2","f":7,"l":7,"T":5,"m":false,"M":true}}',
      // Not configured: no event either way.
      LIVE.replace('"s":"BTCUSDT"', '"s":"ETHUSDT"'),
    ];
    expect(narrow.filter(compare)).toEqual(narrow);
    const reordered = [
      '{"stream":"x","data":{"M":true,"m":true,"T":5,"q":"2","p":"1","t":9,"s":"BTCUSDT","E":5,"e":"trade"}}',
      '{"stream":"x","data":{"e":"trade","s":"BTCUSDT","t":0,"p":"1","q":"2","T":0,"m":true}}',
    ];
    expect(reordered.filter(compare)).toEqual([]);
  });

  it("never takes a truncated frame, and agrees with JSON.parse on every one-character change", () => {
    let scanned = 0;
    for (const frame of [LIVE, AGG_TRADE]) {
      for (let length = 0; length < frame.length; length++)
        expect(compare(frame.slice(0, length)), frame.slice(0, length)).toBe(false);
      for (let at = 0; at < frame.length; at++)
        for (const replacement of ['"', "}", "{", ",", ":", "0", "9", " ", "x", "\\", "-", ".", "e", ""])
          if (compare(frame.slice(0, at) + replacement + frame.slice(at + 1))) scanned++;
    }
    // Changed digits and letters inside values still scan (and decode as JSON.parse reads them).
    expect(scanned).toBeGreaterThan(100);
  });
});
