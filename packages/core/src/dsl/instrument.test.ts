import { describe, expect, it } from "vitest";
import { validateRecord } from "./validate";

// A CoinGecko price and candle exactly as @qicore/source-coingecko 0.1.0 emits them.
const coingeckoPrice = {
  coinId: "bitcoin",
  symbol: "BTC",
  usdPrice: 67012.12,
  lastUpdated: "2024-05-01T12:00:00Z",
  source: "coingecko",
  attribution: "Data provided by CoinGecko",
};
const coingeckoCandle = {
  coinId: "bitcoin",
  timestamp: "2024-05-01T12:00:00Z",
  timeframe: "30m",
  open: "67000",
  high: "67100.5",
  low: "66950",
  close: "67050.25",
  volume: null,
  isFinal: false,
  source: "coingecko",
  attribution: "Data provided by CoinGecko",
};

describe("instrument identity", () => {
  it("keeps CoinGecko's records valid: the instrument is the coin, in US dollars, a crypto asset", () => {
    const price = validateRecord("price", coingeckoPrice);
    expect(price.ok && price.value).toMatchObject({
      coinId: "bitcoin",
      exchangeId: "aggregate",
      instrument: "bitcoin",
      quote: "USD",
      assetClass: "crypto",
      usdPrice: "67012.12",
    });
    const candle = validateRecord("ohlcv", coingeckoCandle);
    expect(candle.ok && candle.value).toMatchObject({ instrument: "bitcoin", quote: "USD", isFinal: false });
    // The filled-in instrument takes its place in the schema's field order (the canonical form).
    expect(candle.ok && Object.keys(candle.value).slice(0, 5)).toEqual([
      "coinId",
      "exchangeId",
      "instrument",
      "quote",
      "assetClass",
    ]);
  });

  it("takes an exchange's candle without a coin id, and refuses one with neither coin nor instrument", () => {
    const { coinId: _coin, ...withoutCoin } = coingeckoCandle;
    const exchange = validateRecord("ohlcv", {
      ...withoutCoin,
      exchangeId: "binance",
      instrument: "PEPEUSDT",
      base: "PEPE",
      quote: "USDT",
      open: "0.00001234",
    });
    expect(exchange.ok && exchange.value).toMatchObject({ instrument: "PEPEUSDT", quote: "USDT" });
    expect(exchange.ok && "coinId" in exchange.value).toBe(false);
    const anonymous = validateRecord("ohlcv", withoutCoin);
    expect(anonymous.ok).toBe(false);
    if (!anonymous.ok) expect(anonymous.error.message).toContain("instrument");
  });

  it("keeps exchange decimal strings as sent, trailing zeros included", () => {
    const trade = validateRecord("trade", {
      exchangeId: "binance",
      instrument: "BTCUSDT",
      base: "BTC",
      quote: "USDT",
      tradeId: "12345",
      price: "67012.12000000",
      amount: "0.00100000",
      side: "sell",
      timestamp: 1_714_564_800_123,
      receivedAt: 1_714_564_800_130,
      source: "binance",
      attribution: "Data from Binance",
    });
    expect(trade.ok && trade.value).toMatchObject({
      price: "67012.12000000",
      amount: "0.00100000",
      assetClass: "crypto",
      timestamp: "2024-05-01T12:00:00.123Z",
    });
  });

  it("refuses lowercase base and quote codes, naming the field", () => {
    const quote = validateRecord("quote", {
      exchangeId: "kraken",
      instrument: "BTC/USD",
      base: "btc",
      quote: "USD",
      bidPrice: "1",
      askPrice: "2",
      timestamp: 0,
      receivedAt: 0,
      source: "kraken",
      attribution: "Data from Kraken",
    });
    expect(quote.ok).toBe(false);
    if (!quote.ok) expect(quote.error.message).toMatch(/^invalid quote record: base:/);
  });
});
