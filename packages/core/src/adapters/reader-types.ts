import type { CryptoMarketAnalytics, CryptoPrice } from "../dsl/records";
import type { AsyncResult } from "../result/result";
import type { AdapterContext, HealthStatus } from "./types";

/** Caps a read; a store may cap it further (its own row limit). */
export interface ReadLimit {
  limit?: number;
}

/** Only rows of this exchange (`aggregate` for cross-exchange prices). */
export interface ExchangeFilter {
  exchangeId?: string;
}

/** A candle a store computed from the prices it holds. Decimals are exact strings. */
export interface PriceCandle {
  coinId: string;
  exchangeId: string;
  /** Width, e.g. `1h`. */
  timeframe: string;
  /** Open time of the bucket, ISO-8601 UTC; the bucket covers [timestamp, timestamp + timeframe). */
  timestamp: string;
  open: string;
  high: string;
  low: string;
  close: string;
  /** Prices the candle was built from. */
  samples: number;
}

/**
 * What a target stored, read back: the read side of the DSL (latest prices, price history,
 * candles of any width, market analytics), each answer a Result so a failed query is a
 * QiError the caller can show. The MCP server's query tools, dashboards and scripts read
 * stores through it without knowing which adapter wrote them.
 */
export interface StoreReader {
  /** The newest price of each coin and exchange (of the given coins, or of all). */
  getLatestPrices(
    coinIds?: readonly string[],
    options?: ReadLimit & ExchangeFilter,
  ): AsyncResult<CryptoPrice[]>;
  /** Prices of a coin with start <= time < end, oldest first. */
  getPriceHistory(
    coinId: string,
    start: Date,
    end: Date,
    options?: ReadLimit & ExchangeFilter,
  ): AsyncResult<CryptoPrice[]>;
  /**
   * Candles of `width` (`5m`, `1h`, `4h`, `1d`, `1w`) built from the prices with
   * start <= time < end, oldest first; `exchangeId` defaults to `aggregate`.
   */
  aggregateCandles(
    coinId: string,
    width: string,
    start: Date,
    end: Date,
    options?: ReadLimit & ExchangeFilter,
  ): AsyncResult<PriceCandle[]>;
  /** Market analytics with start <= time < end, oldest first (of one `source`, or all). */
  getMarketAnalytics(
    start: Date,
    end: Date,
    options?: ReadLimit & { source?: string },
  ): AsyncResult<CryptoMarketAnalytics[]>;
  healthCheck(): Promise<HealthStatus>;
  /** Releases what the reader opened itself (a reader over a target's own connection opens nothing). */
  close(): Promise<void>;
}

/** What the core hands `openReader`: the adapter context, and who reads. */
export interface ReaderContext extends AdapterContext {
  /** Names the reading program to the store where it can show it (PostgreSQL's application_name). */
  clientName?: string;
}
