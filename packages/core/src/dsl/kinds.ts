import type { z } from "zod";
import {
  type CryptoMarketAnalytics,
  CryptoMarketAnalyticsSchema,
  type CryptoOHLCV,
  CryptoOHLCVSchema,
  type CryptoPrice,
  CryptoPriceSchema,
} from "./records";

/** The kinds of record a pipeline carries. */
export const RECORD_KINDS = ["price", "ohlcv", "analytics"] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export interface RecordOfKind {
  price: CryptoPrice;
  ohlcv: CryptoOHLCV;
  analytics: CryptoMarketAnalytics;
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
  /** Field whose value keys Kafka messages (per-coin ordering). */
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
  schemaVersion: 1,
  table: "crypto_prices",
  timeField: "lastUpdated",
  primaryKey: ["coinId", "exchangeId", "lastUpdated"],
  indexes: [
    ["coinId", "lastUpdated DESC"],
    ["exchangeId", "lastUpdated DESC"],
  ],
  keyField: "coinId",
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
  schemaVersion: 1,
  table: "crypto_ohlcv",
  timeField: "timestamp",
  primaryKey: ["coinId", "exchangeId", "timeframe", "timestamp"],
  indexes: [["coinId", "timeframe", "timestamp DESC"]],
  keyField: "coinId",
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

export const RECORD_KIND_DEFINITIONS: { readonly [K in RecordKind]: RecordKindDefinition<K> } = {
  price: PRICE_KIND,
  ohlcv: OHLCV_KIND,
  analytics: ANALYTICS_KIND,
};

export function isRecordKind(value: unknown): value is RecordKind {
  return typeof value === "string" && (RECORD_KINDS as readonly string[]).includes(value);
}
