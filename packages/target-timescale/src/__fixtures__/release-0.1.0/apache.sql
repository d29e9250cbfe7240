-- The schema @qicore/target-timescale 0.1.0 left in a database (apache edition, schema public):
-- @qicore/core 0.1.0's generated DDL (packages/core/src/dsl/generate/__snapshots__/schema.apache.sql at
-- commit 453ee00), then what its migrate() added: the state table, the schema-version table and
-- its rows.
-- The upgrade test loads it, writes rows the old way, and runs today's migrate() over it.

CREATE EXTENSION IF NOT EXISTS timescaledb;

-- crypto_prices: price records (schema v1), time column last_updated
CREATE TABLE IF NOT EXISTS "public"."crypto_prices" (
  "coin_id" VARCHAR(50) NOT NULL,
  "symbol" VARCHAR(20) NOT NULL,
  "exchange_id" VARCHAR(50) NOT NULL,
  "usd_price" NUMERIC(20,8) NOT NULL,
  "btc_price" NUMERIC(30,18),
  "market_cap" NUMERIC(30,2),
  "volume_24h" NUMERIC(30,2),
  "change_24h" NUMERIC(12,4),
  "change_7d" NUMERIC(12,4),
  "last_updated" TIMESTAMPTZ NOT NULL,
  "source" VARCHAR(100) NOT NULL,
  "attribution" TEXT NOT NULL,
  PRIMARY KEY ("coin_id", "exchange_id", "last_updated")
);
COMMENT ON TABLE "public"."crypto_prices" IS 'A spot price of one coin at one time. Record kind price, schema version 1.';
COMMENT ON COLUMN "public"."crypto_prices"."coin_id" IS 'Coin id, e.g. `bitcoin`.';
COMMENT ON COLUMN "public"."crypto_prices"."symbol" IS 'Ticker symbol, e.g. `BTC`.';
COMMENT ON COLUMN "public"."crypto_prices"."exchange_id" IS 'Exchange id, or `aggregate` for a cross-exchange price.';
COMMENT ON COLUMN "public"."crypto_prices"."usd_price" IS 'Price in US dollars.';
COMMENT ON COLUMN "public"."crypto_prices"."btc_price" IS 'Price in bitcoin.';
COMMENT ON COLUMN "public"."crypto_prices"."market_cap" IS 'Market capitalisation in US dollars.';
COMMENT ON COLUMN "public"."crypto_prices"."volume_24h" IS 'Traded volume over the last 24 hours in US dollars.';
COMMENT ON COLUMN "public"."crypto_prices"."change_24h" IS 'Price change over 24 hours, in percent.';
COMMENT ON COLUMN "public"."crypto_prices"."change_7d" IS 'Price change over 7 days, in percent.';
COMMENT ON COLUMN "public"."crypto_prices"."last_updated" IS 'When the provider last updated this price (UTC).';
COMMENT ON COLUMN "public"."crypto_prices"."source" IS 'Name of the system the record came from, e.g. `coingecko`.';
COMMENT ON COLUMN "public"."crypto_prices"."attribution" IS 'Attribution text the data provider requires, e.g. `Data provided by CoinGecko`.';
SELECT create_hypertable('"public"."crypto_prices"', by_range('last_updated', INTERVAL '1 day'), create_default_indexes => FALSE, if_not_exists => TRUE);
CREATE INDEX IF NOT EXISTS "idx_crypto_prices_coin_id_last_updated" ON "public"."crypto_prices" ("coin_id", "last_updated" DESC);
CREATE INDEX IF NOT EXISTS "idx_crypto_prices_exchange_id_last_updated" ON "public"."crypto_prices" ("exchange_id", "last_updated" DESC);

-- crypto_ohlcv: ohlcv records (schema v1), time column timestamp
CREATE TABLE IF NOT EXISTS "public"."crypto_ohlcv" (
  "coin_id" VARCHAR(50) NOT NULL,
  "exchange_id" VARCHAR(50) NOT NULL,
  "timestamp" TIMESTAMPTZ NOT NULL,
  "timeframe" VARCHAR(10) NOT NULL,
  "open" NUMERIC(20,8) NOT NULL,
  "high" NUMERIC(20,8) NOT NULL,
  "low" NUMERIC(20,8) NOT NULL,
  "close" NUMERIC(20,8) NOT NULL,
  "volume" NUMERIC(30,10),
  "is_final" BOOLEAN NOT NULL,
  "source" VARCHAR(100) NOT NULL,
  "attribution" TEXT NOT NULL,
  PRIMARY KEY ("coin_id", "exchange_id", "timeframe", "timestamp")
);
COMMENT ON TABLE "public"."crypto_ohlcv" IS 'Open, high, low, close and volume of one bucket. Record kind ohlcv, schema version 1.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."coin_id" IS 'Coin id, e.g. `bitcoin`.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."exchange_id" IS 'Exchange id, or `aggregate`.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."timestamp" IS 'Open time of the candle''s bucket (UTC); the bucket ends at timestamp + timeframe.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."timeframe" IS 'Candle width, e.g. `1h`.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."open" IS 'First price in the bucket, US dollars.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."high" IS 'Highest price in the bucket, US dollars.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."low" IS 'Lowest price in the bucket, US dollars.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."close" IS 'Last price in the bucket, US dollars.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."volume" IS 'Traded volume in the bucket; null when the provider gives none.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."is_final" IS 'False while the bucket is still open.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."source" IS 'Name of the system the record came from, e.g. `coingecko`.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."attribution" IS 'Attribution text the data provider requires, e.g. `Data provided by CoinGecko`.';
SELECT create_hypertable('"public"."crypto_ohlcv"', by_range('timestamp', INTERVAL '7 days'), create_default_indexes => FALSE, if_not_exists => TRUE);
CREATE INDEX IF NOT EXISTS "idx_crypto_ohlcv_coin_id_timeframe_timestamp" ON "public"."crypto_ohlcv" ("coin_id", "timeframe", "timestamp" DESC);

-- crypto_market_analytics: analytics records (schema v1), time column timestamp
CREATE TABLE IF NOT EXISTS "public"."crypto_market_analytics" (
  "timestamp" TIMESTAMPTZ NOT NULL,
  "total_market_cap" NUMERIC(30,2) NOT NULL,
  "total_volume" NUMERIC(30,2) NOT NULL,
  "btc_dominance" NUMERIC(9,6) NOT NULL,
  "eth_dominance" NUMERIC(9,6),
  "active_cryptocurrencies" INTEGER NOT NULL,
  "markets" INTEGER NOT NULL,
  "market_cap_change_24h" NUMERIC(12,4) NOT NULL,
  "source" VARCHAR(100) NOT NULL,
  "attribution" TEXT NOT NULL,
  PRIMARY KEY ("source", "timestamp")
);
COMMENT ON TABLE "public"."crypto_market_analytics" IS 'Market-wide figures at one time. Record kind analytics, schema version 1.';
COMMENT ON COLUMN "public"."crypto_market_analytics"."timestamp" IS 'When the figures were computed (UTC).';
COMMENT ON COLUMN "public"."crypto_market_analytics"."total_market_cap" IS 'Total market capitalisation in US dollars.';
COMMENT ON COLUMN "public"."crypto_market_analytics"."total_volume" IS 'Total 24-hour volume in US dollars.';
COMMENT ON COLUMN "public"."crypto_market_analytics"."btc_dominance" IS 'Bitcoin''s share of the total market cap, in percent.';
COMMENT ON COLUMN "public"."crypto_market_analytics"."eth_dominance" IS 'Ether''s share of the total market cap, in percent.';
COMMENT ON COLUMN "public"."crypto_market_analytics"."active_cryptocurrencies" IS 'Number of active cryptocurrencies.';
COMMENT ON COLUMN "public"."crypto_market_analytics"."markets" IS 'Number of markets (exchanges).';
COMMENT ON COLUMN "public"."crypto_market_analytics"."market_cap_change_24h" IS 'Change of the total market cap over 24 hours, in percent.';
COMMENT ON COLUMN "public"."crypto_market_analytics"."source" IS 'Name of the system the record came from, e.g. `coingecko`.';
COMMENT ON COLUMN "public"."crypto_market_analytics"."attribution" IS 'Attribution text the data provider requires, e.g. `Data provided by CoinGecko`.';
SELECT create_hypertable('"public"."crypto_market_analytics"', by_range('timestamp', INTERVAL '30 days'), create_default_indexes => FALSE, if_not_exists => TRUE);
CREATE INDEX IF NOT EXISTS "idx_crypto_market_analytics_timestamp" ON "public"."crypto_market_analytics" ("timestamp" DESC);

CREATE TABLE IF NOT EXISTS "public"."qicore_state" (
  pipeline TEXT NOT NULL,
  source_id TEXT NOT NULL,
  checkpoint JSONB,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (pipeline, source_id)
);
CREATE TABLE IF NOT EXISTS "public"."qicore_schema_version" (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  edition TEXT NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO "public"."qicore_schema_version" (version, name, edition) VALUES (1, 'record tables, indexes and the state table', 'apache');
INSERT INTO "public"."qicore_schema_version" (version, name, edition) VALUES (2, 'hypertables', 'apache');
