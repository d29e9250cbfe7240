import { validateRecord } from "@qicore/core";
import { describe, expect, it } from "vitest";
import { Backfill, candleHistoryShape, historyShape } from "./backfill";
import { candlesFromOhlc, ohlcWidth } from "./candles";
import { fixtureJson } from "./fixtures";
import {
  analyticsFromGlobal,
  pricesFromMarketChart,
  pricesFromMarkets,
  pricesFromSimplePrice,
} from "./mappers";
import {
  coinsMarketsResponse,
  expectShape,
  globalResponse,
  marketChartResponse,
  ohlcResponse,
  simplePriceResponse,
} from "./responses";

const DAY = 86_400_000;
const provenance = {
  source: "coingecko",
  attribution: "Data provided by CoinGecko",
  exchangeId: "aggregate",
};

describe("prices from CoinGecko's documented responses", () => {
  it("/simple/price: USD price, cap, volume, change, last_updated_at (seconds) as the price's time", () => {
    const body = expectShape(simplePriceResponse, fixtureJson("simple-price.json"), "/simple/price");
    const { records, incomplete } = pricesFromSimplePrice(body, new Map([["bitcoin", "btc"]]));
    expect(incomplete).toEqual([]);
    expect(records).toEqual([
      {
        ...provenance,
        coinId: "bitcoin",
        symbol: "BTC",
        usdPrice: 76975,
        btcPrice: null,
        marketCap: 1542226908349.8406,
        volume24h: 29096603418.89408,
        change24h: -1.4093297098441402,
        change7d: null,
        lastUpdated: "2026-05-18T08:17:38.000Z",
      },
    ]);
    const validated = validateRecord("price", records[0]);
    expect(validated.ok && validated.value.usdPrice).toBe("76975");
  });

  it("/simple/price: a coin without last_updated_at or price is left out, not given an invented time", () => {
    const { records, incomplete } = pricesFromSimplePrice(
      { bitcoin: { usd: 1 }, ethereum: { usd: null, last_updated_at: 1 } },
      new Map([
        ["bitcoin", "btc"],
        ["ethereum", "eth"],
      ]),
    );
    expect(records).toEqual([]);
    expect(incomplete).toEqual(["bitcoin", "ethereum"]);
  });

  it("/coins/markets: 24h and 7d changes, ISO last_updated", () => {
    const rows = expectShape(coinsMarketsResponse, fixtureJson("coins-markets.json"), "/coins/markets");
    const { records } = pricesFromMarkets(rows);
    expect(records).toEqual([
      {
        ...provenance,
        coinId: "bitcoin",
        symbol: "BTC",
        usdPrice: 77671,
        btcPrice: null,
        marketCap: 1555886872303,
        volume24h: 33235034316,
        change24h: -0.9530164743774191,
        change7d: -4.042267423689584,
        lastUpdated: "2026-05-18T12:49:21.599Z",
      },
    ]);
    expect(validateRecord("price", records[0]).ok).toBe(true);
  });

  it("/coins/{id}/market_chart/range: points joined with cap and volume, only those in the kept range", () => {
    const body = expectShape(marketChartResponse, fixtureJson("coins-market-chart-range.json"), "range");
    const all = pricesFromMarketChart("bitcoin", "btc", body, 0, Number.MAX_SAFE_INTEGER);
    expect(
      all.map((record) => [record.lastUpdated, record.usdPrice, record.marketCap, record.volume24h]),
    ).toEqual([
      ["2026-05-17T14:24:59.041Z", 77953.82550382407, 1560631481361.8042, 18688431751.857048],
      ["2026-05-17T14:29:59.661Z", 78052.87543398788, 1562027330524.267, 18974828816.446976],
    ]);
    expect(pricesFromMarketChart("bitcoin", "btc", body, 1779027899041, 1779028199661)).toHaveLength(1);
    for (const record of all) expect(validateRecord("price", record).ok).toBe(true);
  });

  it("/global: US dollar totals, dominance and counts, stamped with updated_at", () => {
    const record = analyticsFromGlobal(expectShape(globalResponse, fixtureJson("global.json"), "/global"));
    expect(record).toEqual({
      timestamp: "2026-05-27T10:39:11.000Z",
      totalMarketCap: 2621040321355.0405,
      totalVolume: 95133256404.37308,
      btcDominance: 57.9539332566265,
      ethDominance: 9.58227145398409,
      activeCryptocurrencies: 17397,
      markets: 1476,
      marketCapChange24h: -1.6081983639177684,
      source: "coingecko",
      attribution: "Data provided by CoinGecko",
    });
    expect(validateRecord("analytics", record).ok).toBe(true);
  });

  it("an unexpected shape is an error naming the endpoint and the field", () => {
    expect(() => expectShape(globalResponse, { data: { markets: "many" } }, "/global")).toThrow(
      /GET \/global returned JSON of an unexpected shape \(data\.active_cryptocurrencies/,
    );
  });
});

describe("candles: CoinGecko stamps close times; records carry open times", () => {
  it("the width follows the requested days: 1 → 30m, 7-30 → 4h, 90+ → 4d; paid intervals 1h and 1d", () => {
    expect(ohlcWidth("1").timeframe).toBe("30m");
    for (const days of ["7", "14", "30"] as const) expect(ohlcWidth(days).timeframe).toBe("4h");
    for (const days of ["90", "180", "365", "max"] as const) expect(ohlcWidth(days).timeframe).toBe("4d");
    expect(ohlcWidth("7", "hourly").timeframe).toBe("1h");
    expect(ohlcWidth("90", "daily").timeframe).toBe("1d");
  });

  it("/ohlc (a window up to now): open = close − width, no volume, the newest still open, the partial oldest left out", () => {
    const rows = expectShape(ohlcResponse, fixtureJson("coins-ohlc.json"), "/coins/bitcoin/ohlc");
    const { candles } = candlesFromOhlc(rows, {
      coinId: "bitcoin",
      width: ohlcWidth("1"),
      mode: "window",
      now: 1779201000000 - 60_000,
    });
    expect(candles).toEqual([
      {
        ...provenance,
        coinId: "bitcoin",
        timestamp: "2026-05-19T14:00:00.000Z",
        timeframe: "30m",
        open: 76712,
        high: 76712,
        low: 76321,
        close: 76422,
        volume: null,
        isFinal: false,
      },
    ]);
    expect(new Date(1779201000000).toISOString()).toBe("2026-05-19T14:30:00.000Z");
    expect(validateRecord("ohlcv", candles[0]).ok).toBe(true);
  });

  it("/ohlc/range: every candle whose close has passed is final", () => {
    const rows = expectShape(ohlcResponse, fixtureJson("coins-ohlc-range.json"), "/coins/bitcoin/ohlc/range");
    const { candles } = candlesFromOhlc(rows, {
      coinId: "bitcoin",
      width: ohlcWidth("1", "daily"),
      mode: "range",
      now: Date.parse("2026-01-01T00:00:00Z"),
    });
    expect(
      candles.map((candle) => [candle.timestamp, candle.timeframe, candle.isFinal, candle.close]),
    ).toEqual([
      ["2025-11-30T00:00:00.000Z", "1d", true, 90406],
      ["2025-12-01T00:00:00.000Z", "1d", true, 86281],
    ]);
  });

  it("data spaced unlike the documented width is stamped with the width it shows", () => {
    const close = Date.parse("2026-05-19T16:00:00Z");
    const rows = [0, 1, 2, 3].map(
      (index) => [close + index * 4 * 3_600_000, 1, 2, 0.5, 1.5] as [number, number, number, number, number],
    );
    const mapped = candlesFromOhlc(rows, {
      coinId: "bitcoin",
      width: ohlcWidth("1"),
      mode: "window",
      now: close + DAY,
    });
    expect(mapped.observedWidth?.timeframe).toBe("4h");
    expect(mapped.candles[0]).toMatchObject({ timeframe: "4h", timestamp: "2026-05-19T16:00:00.000Z" });
  });
});

describe("backfill ranges", () => {
  const from = Date.parse("2025-01-01T00:00:00Z");
  const to = from + 181 * DAY;

  it("hourly history: 90-day requests, the short last one asked as 2 days but kept as its own part", () => {
    const backfill = new Backfill(historyShape(["bitcoin", "ethereum"], from, to, "hourly"));
    const ranges = [];
    for (let cursor = backfill.start(undefined, 0); ; ) {
      const range = backfill.range(cursor);
      if (!range) break;
      ranges.push(range);
      cursor = backfill.advance(cursor, range);
    }
    expect(ranges).toHaveLength(6);
    expect(
      ranges.map((range) => [range.coin, (range.keepFrom - from) / DAY, (range.keepTo - from) / DAY]),
    ).toEqual([
      ["bitcoin", 0, 90],
      ["bitcoin", 90, 180],
      ["bitcoin", 180, 181],
      ["ethereum", 0, 90],
      ["ethereum", 90, 180],
      ["ethereum", 180, 181],
    ]);
    for (const range of ranges) expect(range.requestTo - range.requestFrom).toBeLessThanOrEqual(90 * DAY);
    expect(ranges[2]?.requestFrom).toBe(to - 2 * DAY);
  });

  it("daily history: one request of up to 365 days, never shorter than 91 days", () => {
    const backfill = new Backfill(historyShape(["bitcoin"], from, from + 30 * DAY, "daily"));
    const range = backfill.range(backfill.start(undefined, 0));
    expect(range && (range.keepTo - range.keepFrom) / DAY).toBe(30);
    expect(range && (range.requestTo - range.requestFrom) / DAY).toBe(91);
  });

  it("candle backfills stay within CoinGecko's 31 hourly / 180 daily days a request", () => {
    for (const [interval, limit] of [
      ["hourly", 31],
      ["daily", 180],
    ] as const) {
      const backfill = new Backfill(candleHistoryShape(["bitcoin"], from, from + 400 * DAY, interval));
      const range = backfill.range(backfill.start(undefined, 0));
      expect(range && (range.requestTo - range.requestFrom) / DAY).toBeLessThanOrEqual(limit);
    }
  });

  it("a cursor from another config (other coins or range) is not reused", () => {
    const first = new Backfill(historyShape(["bitcoin"], from, to, "hourly"));
    const cursor = first.advance(first.start(undefined, 0), first.range(first.start(undefined, 0))!);
    expect(first.start(cursor, 0)).toBe(cursor);
    const other = new Backfill(historyShape(["bitcoin", "ethereum"], from, to, "hourly"));
    expect(other.start(cursor, 0)).toMatchObject({ coin: "bitcoin", from });
    expect(first.progress(cursor)).toEqual({ done: 1, total: 3 });
  });

  it("without `to`, the end is fixed at the first run and kept in the cursor", () => {
    const backfill = new Backfill(historyShape(["bitcoin"], from, undefined, "hourly"));
    const cursor = backfill.start(undefined, from + 10 * DAY);
    expect(cursor.end).toBe(from + 10 * DAY);
    expect(backfill.start(cursor, from + 99 * DAY).end).toBe(from + 10 * DAY);
  });
});
