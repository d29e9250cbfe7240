import type { CryptoMarketAnalytics, CryptoOHLCV, CryptoPrice } from "@qicore/core";

export const START = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;

/**
 * `count` valid price records: `coins` coins, one price a minute each, with exact
 * decimals whose digits change from record to record. `variant` shifts the prices so a
 * second load with another variant updates every row.
 */
export function priceRecords(
  count: number,
  options: { coins?: number; variant?: number; offset?: number } = {},
): CryptoPrice[] {
  const coins = options.coins ?? 10;
  const variant = options.variant ?? 0;
  const offset = options.offset ?? 0;
  const records: CryptoPrice[] = new Array(count);
  for (let position = 0; position < count; position++) {
    const index = position + offset;
    const coin = index % coins;
    const tick = Math.floor(index / coins);
    const fraction = String((index * 7919 + variant * 104729) % 100_000_000).padStart(8, "0");
    records[position] = {
      coinId: `coin-${coin}`,
      symbol: `C${coin}`,
      exchangeId: "aggregate",
      instrument: `coin-${coin}`,
      quote: "USD",
      assetClass: "crypto",
      usdPrice: `${1000 + coin * 10 + (tick % 50) + variant}.${fraction}`,
      btcPrice: null,
      marketCap: `${(coin + 1) * 1_000_000_000 + tick}.25`,
      volume24h: `${(coin + 1) * 1_000_000}.5`,
      change24h: `${(tick % 200) - 100}.125`,
      lastUpdated: new Date(START + tick * MINUTE).toISOString(),
      source: "test",
      attribution: "Test data",
    };
  }
  return records;
}

export function candleRecords(count: number, coinId = "coin-0", timeframe = "1m"): CryptoOHLCV[] {
  return Array.from({ length: count }, (_, index) => ({
    coinId,
    exchangeId: "aggregate",
    instrument: coinId,
    quote: "USD",
    assetClass: "crypto",
    timestamp: new Date(START + index * MINUTE).toISOString(),
    timeframe,
    open: `${100 + index}.5`,
    high: `${110 + index}.75`,
    low: `${90 + index}.125`,
    close: `${105 + index}.0625`,
    volume: index % 2 === 0 ? `${index}.0000000001` : null,
    isFinal: index < count - 1,
    source: "test",
    attribution: "Test data",
  }));
}

export function analyticsRecords(count: number): CryptoMarketAnalytics[] {
  return Array.from({ length: count }, (_, index) => ({
    timestamp: new Date(START + index * 5 * MINUTE).toISOString(),
    totalMarketCap: `${2_400_000_000_000 + index}.33`,
    totalVolume: `${100_000_000_000 + index}.79`,
    btcDominance: "52.123456",
    ethDominance: index % 3 === 0 ? null : "17.5",
    activeCryptocurrencies: 10_000 + index,
    markets: 1_100,
    marketCapChange24h: "-2.8948",
    source: "test",
    attribution: "Test data",
  }));
}

/** The record as read back: absent optional fields come back as null. */
export function withNulls<T extends object>(record: T, fields: readonly string[]): T {
  const copy = { ...record } as Record<string, unknown>;
  for (const field of fields) if (copy[field] === undefined) copy[field] = null;
  return copy as T;
}
