import type {
  AsyncResult,
  CryptoMarketAnalytics,
  CryptoOHLCV,
  CryptoPrice,
  CryptoQuote,
  CryptoTrade,
  HealthStatus,
  Logger,
  StoreReader,
} from "@qicore/core/adapter";
import type pg from "pg";
import type { TimescaleConfigInput } from "./config";
import type { Database } from "./database";
import type { Edition } from "./edition";
import type { PGliteLike } from "./pglite-database";

/**
 * Connections a caller already has. Give one of them instead of `connectionString`
 * when embedding QiCore in an application; the caller keeps ownership (closing the
 * target leaves them open).
 */
export interface TimescaleInjection {
  /** A node-postgres pool to a PostgreSQL or TimescaleDB server. */
  pool?: pg.Pool;
  /** A PGlite instance (`@electric-sql/pglite`, or a build bundling TimescaleDB). */
  pglite?: PGliteLike;
  /** An already-open QiCore database handle (shares one between a target and readers). */
  database?: Database;
}

/**
 * Options of `createTimescaleTarget` and `createTimescaleReader`: the config plus
 * injections. `pool` is either pool settings (`{ max: 20 }`) or a node-postgres Pool.
 */
export interface TimescaleOptions
  extends Omit<TimescaleConfigInput, "pool">,
    Omit<TimescaleInjection, "pool"> {
  pool?: pg.Pool | TimescaleConfigInput["pool"];
  /** Where log lines go; silent by default. */
  logger?: Logger;
  /** Folder that `embedded:<relative dir>` is resolved against; the working directory by default. */
  baseDir?: string;
}

/** Limits a reader query; the limit is capped by the `maxRows` option. */
export interface QueryLimit {
  limit?: number;
}

export interface ExchangeFilter {
  /** Only rows of this exchange (`aggregate` for cross-exchange prices). */
  exchangeId?: string;
}

/** Which series of an instrument: its venue and, where a venue quotes it in several currencies, the quote. */
export interface InstrumentFilter extends ExchangeFilter {
  /** Only rows in this quote currency (`USD`, `GBp`). */
  quote?: string;
}

/** A candle computed from prices (or read from a continuous aggregate). Decimals are strings. */
export interface Candle {
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

export interface HypertableInfo {
  schema: string;
  table: string;
  chunks: number;
  compressionEnabled: boolean;
  /** Total size on disk (table, indexes, TOAST), in bytes. */
  sizeBytes: number;
}

export interface CompressionStats {
  table: string;
  totalChunks: number;
  compressedChunks: number;
  /** Bytes of the compressed chunks before and after compression; null when none are compressed. */
  beforeBytes: number | null;
  afterBytes: number | null;
  /** beforeBytes / afterBytes; null when nothing is compressed. */
  ratio: number | null;
}

/**
 * The query side of a TimescaleDB store (the core's StoreReader and more), each method returning a
 * Result, each bounded by a row limit. Decimals come back as exact decimal strings
 * without trailing zeros (`"100"`, `"12345678901.12345678"`), times as ISO-8601 UTC.
 */
export interface TimescaleReader extends StoreReader {
  /** Prices of a coin with start <= time < end, oldest first. */
  getPriceHistory(
    coinId: string,
    start: Date,
    end: Date,
    options?: QueryLimit & ExchangeFilter,
  ): AsyncResult<CryptoPrice[]>;
  /** The newest price of each coin and exchange (of the given coins, or of all). */
  getLatestPrices(
    coinIds?: readonly string[],
    options?: QueryLimit & ExchangeFilter,
  ): AsyncResult<CryptoPrice[]>;
  /** Trades of an instrument (e.g. `BTC-USDT`) with start <= time < end, oldest first. */
  getTrades(
    instrument: string,
    start: Date,
    end: Date,
    options?: QueryLimit & ExchangeFilter,
  ): AsyncResult<CryptoTrade[]>;
  /** Quotes (best bid and ask) of an instrument with start <= time < end, oldest first. */
  getQuotes(
    instrument: string,
    start: Date,
    end: Date,
    options?: QueryLimit & ExchangeFilter,
  ): AsyncResult<CryptoQuote[]>;
  /**
   * Stored candles of an instrument (the venue's symbol: `AAPL`, `EUR/USD`, `BTC-USDT`) and
   * width (`1m` … `1w`, `1mo`) opening at start <= timestamp < end, oldest first. Candles
   * with no coin id (stocks, forex) are read this way; `exchangeId` (`xnas`) and `quote` pick
   * one series where the symbol is stored for several venues or currencies.
   */
  getCandles(
    instrument: string,
    timeframe: string,
    start: Date,
    end: Date,
    options?: QueryLimit & InstrumentFilter,
  ): AsyncResult<CryptoOHLCV[]>;
  /** The newest `count` stored candles of an instrument and width, oldest first (venue and quote as in getCandles). */
  getLatestCandles(
    instrument: string,
    timeframe: string,
    count: number,
    options?: InstrumentFilter,
  ): AsyncResult<CryptoOHLCV[]>;
  /** The newest `count` stored candles of a coin and width, oldest first. */
  getLatestOHLCV(
    coinId: string,
    timeframe: string,
    count: number,
    options?: ExchangeFilter,
  ): AsyncResult<CryptoOHLCV[]>;
  /**
   * Candles of any width (`5m`, `1h`, `4h`, `1d`, `1w`) built from prices with
   * start <= time < end: time_bucket with TimescaleDB, date_bin without; open and close
   * are the first and last price by time. Reads the continuous aggregate when one exists
   * for the width. `exchangeId` defaults to `aggregate`.
   */
  aggregateCandles(
    coinId: string,
    width: string,
    start: Date,
    end: Date,
    options?: QueryLimit & ExchangeFilter & { useAggregates?: boolean },
  ): AsyncResult<Candle[]>;
  /** Candles read from a continuous aggregate (`1h` or `1d`); an error when the database has none. */
  getAggregatedCandles(
    coinId: string,
    timeframe: "1h" | "1d",
    start: Date,
    end: Date,
    options?: QueryLimit & ExchangeFilter,
  ): AsyncResult<Candle[]>;
  /** Market analytics with start <= time < end, oldest first. */
  getMarketAnalytics(
    start: Date,
    end: Date,
    options?: QueryLimit & { source?: string },
  ): AsyncResult<CryptoMarketAnalytics[]>;
  /** QiCore's hypertables in the schema; empty without TimescaleDB. */
  listHypertables(): AsyncResult<HypertableInfo[]>;
  /** Compression per hypertable; empty unless the edition compresses. */
  compressionStats(): AsyncResult<CompressionStats[]>;
  healthCheck(): Promise<HealthStatus>;
  /** What the database offers (detected on first use). */
  edition(): AsyncResult<Edition>;
  /** Releases the connection (only what the reader opened itself). */
  close(): Promise<void>;
}
