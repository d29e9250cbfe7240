import type { z } from "zod";
import {
  type CryptoMarketAnalytics,
  CryptoMarketAnalyticsSchema,
  type CryptoOHLCV,
  CryptoOHLCVSchema,
  type CryptoPrice,
  CryptoPriceSchema,
  type CryptoQuote,
  CryptoQuoteSchema,
  type CryptoTrade,
  CryptoTradeSchema,
} from "./records";

/** The kinds of record a pipeline carries. */
export const RECORD_KINDS = ["price", "ohlcv", "analytics", "trade", "quote"] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export interface RecordOfKind {
  price: CryptoPrice;
  ohlcv: CryptoOHLCV;
  analytics: CryptoMarketAnalytics;
  trade: CryptoTrade;
  quote: CryptoQuote;
}

export type MarketRecord = RecordOfKind[RecordKind];

/**
 * Everything the generators need about one kind of record: its schema, where it is
 * stored (table, time column, primary key, indexes) and where it is streamed (topic).
 * Field names are camelCase; column names are their snake_case forms.
 */
export interface RecordKindDefinition<K extends RecordKind = RecordKind> {
  kind: K;
  schema: z.ZodType<RecordOfKind[K]>;
  /** Version of the record's shape; sent in Kafka headers and kept in the schema-version table. */
  schemaVersion: number;
  table: string;
  /** Field that partitions the hypertable (time). */
  timeField: string;
  primaryKey: readonly string[];
  /** Extra indexes, each a list of fields; `DESC` after a field name orders it descending. */
  indexes: readonly (readonly string[])[];
  /** Field whose value keys Kafka messages (per-instrument ordering). */
  keyField: string | null;
  topic: TopicDefaults;
}

export interface TopicDefaults {
  name: string;
  partitions: number;
  replicationFactor: number;
  retentionMs: number;
  compressionType: "lz4" | "gzip" | "snappy" | "zstd" | "producer" | "uncompressed";
  cleanupPolicy: "delete" | "compact" | "compact,delete";
}

const DAY_MS = 86_400_000;

export const PRICE_KIND: RecordKindDefinition<"price"> = {
  kind: "price",
  schema: CryptoPriceSchema as z.ZodType<CryptoPrice>,
  schemaVersion: 2,
  table: "crypto_prices",
  timeField: "lastUpdated",
  primaryKey: ["exchangeId", "instrument", "quote", "lastUpdated"],
  indexes: [
    ["coinId", "lastUpdated DESC"],
    ["exchangeId", "lastUpdated DESC"],
  ],
  keyField: "instrument",
  topic: {
    name: "crypto-prices",
    partitions: 12,
    replicationFactor: 3,
    retentionMs: 7 * DAY_MS,
    compressionType: "lz4",
    cleanupPolicy: "delete",
  },
};

export const OHLCV_KIND: RecordKindDefinition<"ohlcv"> = {
  kind: "ohlcv",
  schema: CryptoOHLCVSchema as z.ZodType<CryptoOHLCV>,
  schemaVersion: 2,
  table: "crypto_ohlcv",
  timeField: "timestamp",
  // The quote is part of the series: CoinGecko's instrument is the coin, in one currency or another.
  primaryKey: ["exchangeId", "instrument", "quote", "timeframe", "timestamp"],
  indexes: [["coinId", "timeframe", "timestamp DESC"]],
  keyField: "instrument",
  topic: {
    name: "crypto-ohlcv",
    partitions: 24,
    replicationFactor: 3,
    retentionMs: 30 * DAY_MS,
    compressionType: "lz4",
    cleanupPolicy: "delete",
  },
};

export const ANALYTICS_KIND: RecordKindDefinition<"analytics"> = {
  kind: "analytics",
  schema: CryptoMarketAnalyticsSchema as z.ZodType<CryptoMarketAnalytics>,
  schemaVersion: 1,
  table: "crypto_market_analytics",
  timeField: "timestamp",
  primaryKey: ["source", "timestamp"],
  indexes: [["timestamp DESC"]],
  keyField: "source",
  topic: {
    name: "crypto-analytics",
    partitions: 6,
    replicationFactor: 3,
    retentionMs: 90 * DAY_MS,
    compressionType: "lz4",
    cleanupPolicy: "delete",
  },
};

export const TRADE_KIND: RecordKindDefinition<"trade"> = {
  kind: "trade",
  schema: CryptoTradeSchema as z.ZodType<CryptoTrade>,
  schemaVersion: 1,
  table: "crypto_trades",
  timeField: "timestamp",
  primaryKey: ["exchangeId", "instrument", "tradeId", "timestamp"],
  indexes: [
    ["exchangeId", "instrument", "timestamp DESC"],
    ["coinId", "timestamp DESC"],
  ],
  keyField: "instrument",
  topic: {
    name: "crypto-trades",
    partitions: 24,
    replicationFactor: 3,
    retentionMs: 7 * DAY_MS,
    compressionType: "lz4",
    cleanupPolicy: "delete",
  },
};

export const QUOTE_KIND: RecordKindDefinition<"quote"> = {
  kind: "quote",
  schema: CryptoQuoteSchema as z.ZodType<CryptoQuote>,
  schemaVersion: 1,
  table: "crypto_quotes",
  timeField: "timestamp",
  primaryKey: ["exchangeId", "instrument", "timestamp"],
  indexes: [["coinId", "timestamp DESC"]],
  keyField: "instrument",
  // The latest quote of an instrument is what a consumer wants: compaction keeps it per key
  // for as long as it is the latest, and deletion bounds the history.
  topic: {
    name: "crypto-quotes",
    partitions: 12,
    replicationFactor: 3,
    retentionMs: 1 * DAY_MS,
    compressionType: "lz4",
    cleanupPolicy: "compact,delete",
  },
};

export const RECORD_KIND_DEFINITIONS: { readonly [K in RecordKind]: RecordKindDefinition<K> } = {
  price: PRICE_KIND,
  ohlcv: OHLCV_KIND,
  analytics: ANALYTICS_KIND,
  trade: TRADE_KIND,
  quote: QUOTE_KIND,
};

export function isRecordKind(value: unknown): value is RecordKind {
  return typeof value === "string" && (RECORD_KINDS as readonly string[]).includes(value);
}
