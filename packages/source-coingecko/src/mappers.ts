import {
  AGGREGATE_EXCHANGE,
  type CryptoMarketAnalyticsInput,
  type CryptoPriceInput,
} from "@qicore/core/adapter";
import type {
  CoinsMarketsResponse,
  GlobalResponse,
  MarketChartResponse,
  SimplePriceResponse,
} from "./responses";

/** The `source` of every record. */
export const SOURCE_NAME = "coingecko";
/** The attribution CoinGecko's terms ask for, on every record. */
export const ATTRIBUTION = "Data provided by CoinGecko";

/** Symbols as tickers are usually written (`btc` → `BTC`). */
export const displaySymbol = (symbol: string) => symbol.trim().toUpperCase();

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Prices from /simple/price (asked with `vs_currencies=usd,btc` and every `include_*`).
 * A coin without a USD price or a `last_updated_at` is left out: without them there is no
 * record to make, and inventing a time would break de-duplication.
 */
export function pricesFromSimplePrice(
  body: SimplePriceResponse,
  symbols: ReadonlyMap<string, string>,
): { records: CryptoPriceInput[]; incomplete: string[] } {
  const records: CryptoPriceInput[] = [];
  const incomplete: string[] = [];
  for (const [coinId, entry] of Object.entries(body)) {
    const symbol = symbols.get(coinId);
    if (entry.usd == null || entry.last_updated_at == null || symbol === undefined) {
      incomplete.push(coinId);
      continue;
    }
    records.push({
      coinId,
      symbol: displaySymbol(symbol),
      exchangeId: AGGREGATE_EXCHANGE,
      usdPrice: entry.usd,
      btcPrice: entry.btc ?? null,
      marketCap: entry.usd_market_cap ?? null,
      volume24h: entry.usd_24h_vol ?? null,
      change24h: entry.usd_24h_change ?? null,
      change7d: null,
      lastUpdated: iso(entry.last_updated_at * 1000),
      source: SOURCE_NAME,
      attribution: ATTRIBUTION,
    });
  }
  return { records, incomplete };
}

/** Prices from /coins/markets (asked with `price_change_percentage=24h,7d`). */
export function pricesFromMarkets(rows: CoinsMarketsResponse): {
  records: CryptoPriceInput[];
  incomplete: string[];
} {
  const records: CryptoPriceInput[] = [];
  const incomplete: string[] = [];
  for (const row of rows) {
    const updated = row.last_updated ? Date.parse(row.last_updated) : Number.NaN;
    if (row.current_price == null || Number.isNaN(updated)) {
      incomplete.push(row.id);
      continue;
    }
    records.push({
      coinId: row.id,
      symbol: displaySymbol(row.symbol),
      exchangeId: AGGREGATE_EXCHANGE,
      usdPrice: row.current_price,
      btcPrice: null,
      marketCap: row.market_cap ?? null,
      volume24h: row.total_volume ?? null,
      change24h: row.price_change_percentage_24h_in_currency ?? row.price_change_percentage_24h ?? null,
      change7d: row.price_change_percentage_7d_in_currency ?? null,
      lastUpdated: iso(updated),
      source: SOURCE_NAME,
      attribution: ATTRIBUTION,
    });
  }
  return { records, incomplete };
}

/**
 * Points of /coins/{id}/market_chart/range as prices, keeping those in [keepFrom, keepTo):
 * requests may reach outside the range they fill (to get the wanted granularity), and the
 * ranges of consecutive requests must not share a point. Market cap and volume join the
 * price of the same instant.
 */
export function pricesFromMarketChart(
  coinId: string,
  symbol: string,
  body: MarketChartResponse,
  keepFrom: number,
  keepTo: number,
): CryptoPriceInput[] {
  const caps = new Map(body.market_caps?.map(([time, value]) => [time, value]));
  const volumes = new Map(body.total_volumes?.map(([time, value]) => [time, value]));
  const byTime = new Map<number, CryptoPriceInput>();
  for (const [time, price] of body.prices) {
    if (price === null || time < keepFrom || time >= keepTo) continue;
    byTime.set(time, {
      coinId,
      symbol: displaySymbol(symbol),
      exchangeId: AGGREGATE_EXCHANGE,
      usdPrice: price,
      btcPrice: null,
      marketCap: caps.get(time) ?? null,
      volume24h: volumes.get(time) ?? null,
      change24h: null,
      change7d: null,
      lastUpdated: iso(time),
      source: SOURCE_NAME,
      attribution: ATTRIBUTION,
    });
  }
  return [...byTime.entries()].sort(([a], [b]) => a - b).map(([, record]) => record);
}

/** /global as market analytics, in US dollars, stamped with CoinGecko's `updated_at`. */
export function analyticsFromGlobal(body: GlobalResponse): CryptoMarketAnalyticsInput {
  const { data } = body;
  return {
    timestamp: iso(data.updated_at * 1000),
    totalMarketCap: data.total_market_cap.usd ?? Number.NaN,
    totalVolume: data.total_volume.usd ?? Number.NaN,
    btcDominance: data.market_cap_percentage.btc ?? Number.NaN,
    ethDominance: data.market_cap_percentage.eth ?? null,
    activeCryptocurrencies: data.active_cryptocurrencies,
    markets: data.markets,
    marketCapChange24h: data.market_cap_change_percentage_24h_usd,
    source: SOURCE_NAME,
    attribution: ATTRIBUTION,
  };
}
