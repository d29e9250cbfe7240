import { readFileSync } from "node:fs";
import { validateRecord } from "@qicore/core";
import { describe, expect, it } from "vitest";
import { frozenClock } from "./clock";
import { BinanceProtocol } from "./exchanges/binance";
import { CoinbaseProtocol } from "./exchanges/coinbase";
import { KrakenProtocol } from "./exchanges/kraken";
import type { ExchangeProtocol, MarketEvent } from "./exchanges/protocol";
import { withCoinId } from "./instruments";
import { RecordFactory } from "./records";

const RECEIVED = Date.parse("2024-05-01T12:00:00.000Z");
const clock = frozenClock(RECEIVED);
const frame = (name: string) => readFileSync(new URL(`./__fixtures__/${name}.json`, import.meta.url), "utf8");
const factory = (exchange: string) =>
  new RecordFactory({ exchangeId: exchange, source: exchange, attribution: `Data from ${exchange}` });

function decoded(protocol: ExchangeProtocol, name: string): MarketEvent[] {
  return protocol.decode(frame(name), RECEIVED).events;
}

/** The record is valid, and already what the schema makes of it (canonical: the runtime's fast path). */
function expectCanonical(event: MarketEvent | undefined) {
  expect(event).toBeDefined();
  const kind = event?.type === "candle" ? "ohlcv" : (event?.type ?? "trade");
  const result = validateRecord(kind, event?.record);
  expect(result.ok, result.ok ? "" : result.error.message).toBe(true);
  if (result.ok) expect(JSON.stringify(result.value)).toBe(JSON.stringify(event?.record));
}

describe("Binance mapper (documented stream payloads)", () => {
  const binance = new BinanceProtocol(factory("binance"), clock, "trade");
  binance.use([
    withCoinId({ symbol: "BNBBTC", base: "BNB", quote: "BTC" }, {}),
    withCoinId({ symbol: "BNBUSDT", base: "BNB", quote: "USDT" }, {}),
  ]);

  it("maps a trade with the taker's side, its id as sequence and the exchange's decimal strings", () => {
    const [event] = decoded(binance, "binance-trade");
    expectCanonical(event);
    expect(event).toMatchObject({
      type: "trade",
      stream: "trades:BNBBTC",
      sequence: 12345,
      record: {
        exchangeId: "binance",
        instrument: "BNBBTC",
        base: "BNB",
        quote: "BTC",
        coinId: "binancecoin",
        tradeId: "12345",
        price: "0.001",
        amount: "100",
        // m: true, the buyer made the market: the taker sold.
        side: "sell",
        timestamp: "2022-12-31T19:43:02.136Z",
        receivedAt: "2024-05-01T12:00:00.000Z",
      },
    });
  });

  it("maps an aggregated trade by its aggregate id", () => {
    const aggregated = new BinanceProtocol(factory("binance"), clock, "aggTrade");
    aggregated.use([{ symbol: "BNBBTC", base: "BNB", quote: "BTC" }]);
    const [event] = decoded(aggregated, "binance-agg-trade");
    expectCanonical(event);
    expect(event).toMatchObject({ sequence: 12345, record: { tradeId: "12345", side: "sell" } });
  });

  it("maps a kline to an open candle stamped with its open time, and says it has not closed", () => {
    const [event] = decoded(binance, "binance-kline");
    expectCanonical(event);
    expect(event).toMatchObject({
      type: "candle",
      stream: "candles:BNBBTC:1m",
      closed: false,
      openTime: 1672515780000,
      record: {
        timestamp: "2022-12-31T19:43:00.000Z",
        timeframe: "1m",
        open: "0.0010",
        close: "0.0020",
        volume: "1000",
        isFinal: false,
      },
    });
  });

  it("maps a book ticker to a quote stamped when received (Binance sends no time)", () => {
    const [event] = decoded(binance, "binance-book-ticker");
    expectCanonical(event);
    expect(event?.record).toMatchObject({
      bidPrice: "25.35190000",
      bidSize: "31.21000000",
      askPrice: "25.36520000",
      askSize: "40.66000000",
      timestamp: "2024-05-01T12:00:00.000Z",
    });
  });

  it("turns subscription answers and errors into control events", () => {
    expect(binance.decode('{"result":null,"id":1}', RECEIVED).control).toEqual({ type: "subscribed" });
    expect(binance.decode('{"code":2,"msg":"Invalid request","id":1}', RECEIVED).control).toMatchObject({
      type: "refused",
    });
    expect(
      binance.decode('{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1}}', RECEIVED).control
        ?.type,
    ).toBe("shutdown");
  });

  it("plans 1024 streams a connection and at most 200 streams a SUBSCRIBE message", () => {
    const instruments = Array.from({ length: 1500 }, (_, index) => ({
      symbol: `C${index}USDT`,
      base: `C${index}`,
      quote: "USDT",
    }));
    const plans = binance.plan(
      instruments.map((instrument) => ({ channel: "trades", instrument })),
      "ws://x",
      1024,
    );
    expect(plans.map((plan) => plan.subscriptions.length)).toEqual([1024, 476]);
    expect(plans[0]?.messages).toHaveLength(6);
    expect(plans.every((plan) => plan.url === "ws://x/stream")).toBe(true);
  });
});

describe("Coinbase mapper (documented channel messages)", () => {
  const coinbase = new CoinbaseProtocol(factory("coinbase"), clock);
  coinbase.use([
    withCoinId({ symbol: "ETH-USD", base: "ETH", quote: "USD" }, {}),
    withCoinId({ symbol: "BTC-USD", base: "BTC", quote: "USD" }, {}),
  ]);

  it("maps market trades with the taker's side (the opposite of the maker's side Coinbase reports)", () => {
    const decodedFrame = coinbase.decode(frame("coinbase-market-trades"), RECEIVED);
    expect(decodedFrame.sequence).toBe(0);
    const [event] = decodedFrame.events;
    expectCanonical(event);
    expect(event?.record).toMatchObject({
      instrument: "ETH-USD",
      coinId: "ethereum",
      price: "1260.01",
      amount: "0.3",
      side: "sell",
      timestamp: "2019-08-14T20:42:27.265Z",
    });
  });

  it("maps a ticker to a quote at the message's time, cut to milliseconds", () => {
    const [event] = decoded(coinbase, "coinbase-ticker");
    expectCanonical(event);
    expect(event?.record).toMatchObject({
      bidPrice: "21931.98",
      bidSize: "8000.21",
      askPrice: "21933.98",
      timestamp: "2023-02-09T20:30:37.167Z",
    });
  });

  it("maps five-minute candles, open until the next bucket starts", () => {
    const [event] = decoded(coinbase, "coinbase-candles");
    expectCanonical(event);
    expect(event).toMatchObject({
      type: "candle",
      openTime: 1688998200000,
      record: { timeframe: "5m", isFinal: false, volume: "0.20269406" },
    });
    expect(event && "closed" in event).toBe(false);
  });

  it("reads the heartbeat counter, which Coinbase's prose docs show as a string", () => {
    expect(coinbase.decode(frame("coinbase-heartbeats"), RECEIVED).control).toEqual({
      type: "heartbeat",
      counter: 3049,
    });
    expect(
      coinbase.decode('{"type":"error","message":"Failed to subscribe"}', RECEIVED).control,
    ).toMatchObject({ type: "refused" });
  });
});

describe("Kraken mapper (documented v2 updates, numbers as JSON numbers)", () => {
  const kraken = new KrakenProtocol(factory("kraken"), clock);
  kraken.use([
    withCoinId({ symbol: "MATIC/USD", base: "MATIC", quote: "USD" }, {}),
    withCoinId({ symbol: "ALGO/USD", base: "ALGO", quote: "USD" }, { ALGO: "algorand" }),
  ]);

  it("keeps the digits Kraken sent, where JSON.parse would have made doubles (40.0 stays 40.0)", () => {
    const [event] = decoded(kraken, "kraken-trade");
    expectCanonical(event);
    expect(event).toMatchObject({
      sequence: 4665906,
      record: {
        price: "0.5117",
        amount: "40.0",
        side: "sell",
        tradeId: "4665906",
        timestamp: "2023-09-25T07:49:37.708Z",
      },
    });
    const long = kraken.decode(
      '{"channel":"trade","type":"update","data":[{"symbol":"MATIC/USD","side":"buy","price":12345678.123456789012,"qty":0.000000012345678901,"ord_type":"limit","trade_id":1,"timestamp":"2023-09-25T07:49:37.708706Z"}]}',
      RECEIVED,
    ).events[0];
    expect(long?.record).toMatchObject({ price: "12345678.123456789012", amount: "0.000000012345678901" });
    expect(String(JSON.parse("12345678.123456789012"))).not.toBe("12345678.123456789012");
  });

  it("maps ohlc to a candle at its interval_begin, with a configured coin id", () => {
    const [event] = decoded(kraken, "kraken-ohlc");
    expectCanonical(event);
    expect(event).toMatchObject({
      stream: "candles:ALGO/USD:5m",
      openTime: Date.parse("2023-10-04T15:30:00Z"),
      record: { coinId: "algorand", open: "0.09875", high: "0.0988", volume: "16255.46368" },
    });
  });

  it("maps a ticker to a quote, and answers pings and subscription results", () => {
    const [event] = decoded(kraken, "kraken-ticker");
    expectCanonical(event);
    expect(event?.record).toMatchObject({ bidPrice: "0.10025", bidSize: "740.0", askSize: "1361.44813783" });
    expect(kraken.decode('{"method":"pong","req_id":1}', RECEIVED).control).toEqual({ type: "pong" });
    expect(
      kraken.decode(
        '{"error":"Currency pair not supported XYZ/USD","method":"subscribe","success":false}',
        RECEIVED,
      ).control,
    ).toEqual({ type: "refused", message: "Currency pair not supported XYZ/USD" });
    expect(JSON.parse(kraken.keepAlive())).toMatchObject({ method: "ping" });
  });
});
