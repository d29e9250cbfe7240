-- QiCore record tables, generated from the DSL's zod schemas by @qicore/core. Do not edit:
-- regenerate with `qicore schema sql` (or `pnpm --filter @qicore/core gen:schemas` in the repository).
-- Edition: postgres (plain PostgreSQL: no hypertables). Schema: public. Every statement is idempotent.

-- crypto_prices: price records (schema v2), time column last_updated
CREATE TABLE IF NOT EXISTS "public"."crypto_prices" (
  "coin_id" VARCHAR(50),
  "symbol" VARCHAR(20) NOT NULL,
  "exchange_id" VARCHAR(50) NOT NULL,
  "instrument" VARCHAR(50) NOT NULL,
  "quote" VARCHAR(20) NOT NULL,
  "asset_class" VARCHAR(20) NOT NULL,
  "usd_price" NUMERIC(20,8) NOT NULL,
  "btc_price" NUMERIC(30,18),
  "market_cap" NUMERIC(30,2),
  "volume_24h" NUMERIC(30,2),
  "change_24h" NUMERIC(12,4),
  "change_7d" NUMERIC(12,4),
  "last_updated" TIMESTAMPTZ NOT NULL,
  "source" VARCHAR(100) NOT NULL,
  "attribution" TEXT NOT NULL,
  PRIMARY KEY ("exchange_id", "instrument", "quote", "last_updated")
);
COMMENT ON TABLE "public"."crypto_prices" IS 'A spot price of one coin at one time. Record kind price, schema version 2.';
COMMENT ON COLUMN "public"."crypto_prices"."coin_id" IS 'CoinGecko coin id of the base asset where known, e.g. `bitcoin`.';
COMMENT ON COLUMN "public"."crypto_prices"."symbol" IS 'Ticker symbol of the base asset, e.g. `BTC`.';
COMMENT ON COLUMN "public"."crypto_prices"."exchange_id" IS 'Exchange id, or `aggregate` for a cross-exchange price.';
COMMENT ON COLUMN "public"."crypto_prices"."instrument" IS 'The venue''s own symbol of the instrument, case kept: `BTCUSDT` (Binance), `BTC-USD` (Coinbase), `BTC/USD` (Kraken), `AAPL`, `EUR/USD`. Defaults to the coin id (CoinGecko''s records name a coin, not a market).';
COMMENT ON COLUMN "public"."crypto_prices"."quote" IS 'Normalised quote currency the prices are in, e.g. `USDT` of BTC/USDT.';
COMMENT ON COLUMN "public"."crypto_prices"."asset_class" IS 'Asset class: `crypto`, or e.g. `equity`, `forex`, `index`, `commodity`.';
COMMENT ON COLUMN "public"."crypto_prices"."usd_price" IS 'Price in the quote currency (`quote`; US dollars for CoinGecko''s prices).';
COMMENT ON COLUMN "public"."crypto_prices"."btc_price" IS 'Price in bitcoin.';
COMMENT ON COLUMN "public"."crypto_prices"."market_cap" IS 'Market capitalisation in the quote currency.';
COMMENT ON COLUMN "public"."crypto_prices"."volume_24h" IS 'Traded volume over the last 24 hours in the quote currency.';
COMMENT ON COLUMN "public"."crypto_prices"."change_24h" IS 'Price change over 24 hours, in percent.';
COMMENT ON COLUMN "public"."crypto_prices"."change_7d" IS 'Price change over 7 days, in percent.';
COMMENT ON COLUMN "public"."crypto_prices"."last_updated" IS 'When the provider last updated this price (UTC).';
COMMENT ON COLUMN "public"."crypto_prices"."source" IS 'Name of the system the record came from, e.g. `coingecko`.';
COMMENT ON COLUMN "public"."crypto_prices"."attribution" IS 'Attribution text the data provider requires, e.g. `Data provided by CoinGecko`.';
CREATE INDEX IF NOT EXISTS "idx_crypto_prices_coin_id_last_updated" ON "public"."crypto_prices" ("coin_id", "last_updated" DESC);
CREATE INDEX IF NOT EXISTS "idx_crypto_prices_exchange_id_last_updated" ON "public"."crypto_prices" ("exchange_id", "last_updated" DESC);

-- crypto_ohlcv: ohlcv records (schema v2), time column timestamp
CREATE TABLE IF NOT EXISTS "public"."crypto_ohlcv" (
  "coin_id" VARCHAR(50),
  "exchange_id" VARCHAR(50) NOT NULL,
  "instrument" VARCHAR(50) NOT NULL,
  "base" VARCHAR(20),
  "quote" VARCHAR(20) NOT NULL,
  "asset_class" VARCHAR(20) NOT NULL,
  "timestamp" TIMESTAMPTZ NOT NULL,
  "timeframe" VARCHAR(10) NOT NULL,
  "open" NUMERIC(30,12) NOT NULL,
  "high" NUMERIC(30,12) NOT NULL,
  "low" NUMERIC(30,12) NOT NULL,
  "close" NUMERIC(30,12) NOT NULL,
  "volume" NUMERIC(30,10),
  "is_final" BOOLEAN NOT NULL,
  "source" VARCHAR(100) NOT NULL,
  "attribution" TEXT NOT NULL,
  "trade_count" INTEGER,
  "filled" BOOLEAN,
  PRIMARY KEY ("exchange_id", "instrument", "quote", "timeframe", "timestamp")
);
COMMENT ON TABLE "public"."crypto_ohlcv" IS 'Open, high, low, close and volume of one bucket. Record kind ohlcv, schema version 2.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."coin_id" IS 'CoinGecko coin id of the base asset where known, e.g. `bitcoin`.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."exchange_id" IS 'Exchange id, or `aggregate`.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."instrument" IS 'The venue''s own symbol of the instrument, case kept: `BTCUSDT` (Binance), `BTC-USD` (Coinbase), `BTC/USD` (Kraken), `AAPL`, `EUR/USD`. Defaults to the coin id (CoinGecko''s records name a coin, not a market).';
COMMENT ON COLUMN "public"."crypto_ohlcv"."base" IS 'Normalised base asset, e.g. `BTC` of BTC/USDT.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."quote" IS 'Normalised quote currency the prices are in, e.g. `USDT` of BTC/USDT.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."asset_class" IS 'Asset class: `crypto`, or e.g. `equity`, `forex`, `index`, `commodity`.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."timestamp" IS 'Open time of the candle''s bucket (UTC); the bucket ends at timestamp + timeframe.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."timeframe" IS 'Candle width, e.g. `1h`.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."open" IS 'First price in the bucket, in the quote currency.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."high" IS 'Highest price in the bucket, in the quote currency.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."low" IS 'Lowest price in the bucket, in the quote currency.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."close" IS 'Last price in the bucket, in the quote currency.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."volume" IS 'Traded volume in the bucket, in the base asset; null when the provider gives none.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."is_final" IS 'False while the bucket is still open.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."source" IS 'Name of the system the record came from, e.g. `coingecko`.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."attribution" IS 'Attribution text the data provider requires, e.g. `Data provided by CoinGecko`.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."trade_count" IS 'Trades in the bucket, where the candle was built from trades.';
COMMENT ON COLUMN "public"."crypto_ohlcv"."filled" IS 'True for a candle of a bucket without trades, carried forward from the last close.';
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
CREATE INDEX IF NOT EXISTS "idx_crypto_market_analytics_timestamp" ON "public"."crypto_market_analytics" ("timestamp" DESC);

-- crypto_trades: trade records (schema v1), time column timestamp
CREATE TABLE IF NOT EXISTS "public"."crypto_trades" (
  "exchange_id" VARCHAR(50) NOT NULL,
  "instrument" VARCHAR(50) NOT NULL,
  "base" VARCHAR(20) NOT NULL,
  "quote" VARCHAR(20) NOT NULL,
  "coin_id" VARCHAR(50),
  "asset_class" VARCHAR(20) NOT NULL,
  "trade_id" VARCHAR(64) NOT NULL,
  "price" NUMERIC(30,12) NOT NULL,
  "amount" NUMERIC(30,12) NOT NULL,
  "side" VARCHAR(4),
  "timestamp" TIMESTAMPTZ NOT NULL,
  "received_at" TIMESTAMPTZ NOT NULL,
  "source" VARCHAR(100) NOT NULL,
  "attribution" TEXT NOT NULL,
  PRIMARY KEY ("exchange_id", "instrument", "trade_id", "timestamp")
);
COMMENT ON TABLE "public"."crypto_trades" IS 'One trade on one exchange''s market. Record kind trade, schema version 1.';
COMMENT ON COLUMN "public"."crypto_trades"."exchange_id" IS 'Exchange id, e.g. `binance`, `coinbase`, `kraken`.';
COMMENT ON COLUMN "public"."crypto_trades"."instrument" IS 'The venue''s own symbol of the instrument, case kept: `BTCUSDT` (Binance), `BTC-USD` (Coinbase), `BTC/USD` (Kraken), `AAPL`, `EUR/USD`.';
COMMENT ON COLUMN "public"."crypto_trades"."base" IS 'Normalised base asset, e.g. `BTC` of BTC/USDT.';
COMMENT ON COLUMN "public"."crypto_trades"."quote" IS 'Normalised quote currency the prices are in, e.g. `USDT` of BTC/USDT.';
COMMENT ON COLUMN "public"."crypto_trades"."coin_id" IS 'CoinGecko coin id of the base asset where known, e.g. `bitcoin`.';
COMMENT ON COLUMN "public"."crypto_trades"."asset_class" IS 'Asset class: `crypto`, or e.g. `equity`, `forex`, `index`, `commodity`.';
COMMENT ON COLUMN "public"."crypto_trades"."trade_id" IS 'The exchange''s id of the trade, as text (`12345`, a UUID).';
COMMENT ON COLUMN "public"."crypto_trades"."price" IS 'Price of the trade, in the quote currency.';
COMMENT ON COLUMN "public"."crypto_trades"."amount" IS 'Amount traded, in the base asset.';
COMMENT ON COLUMN "public"."crypto_trades"."side" IS 'The taker''s side (`buy` or `sell`); null where the exchange does not say.';
COMMENT ON COLUMN "public"."crypto_trades"."timestamp" IS 'When the trade happened, by the exchange''s clock (UTC).';
COMMENT ON COLUMN "public"."crypto_trades"."received_at" IS 'When QiCore received it (UTC); the exchange''s own delivery time is not kept.';
COMMENT ON COLUMN "public"."crypto_trades"."source" IS 'Name of the system the record came from, e.g. `coingecko`.';
COMMENT ON COLUMN "public"."crypto_trades"."attribution" IS 'Attribution text the data provider requires, e.g. `Data provided by CoinGecko`.';
CREATE INDEX IF NOT EXISTS "idx_crypto_trades_exchange_id_instrument_timestamp" ON "public"."crypto_trades" ("exchange_id", "instrument", "timestamp" DESC);
CREATE INDEX IF NOT EXISTS "idx_crypto_trades_coin_id_timestamp" ON "public"."crypto_trades" ("coin_id", "timestamp" DESC);

-- crypto_quotes: quote records (schema v1), time column timestamp
CREATE TABLE IF NOT EXISTS "public"."crypto_quotes" (
  "exchange_id" VARCHAR(50) NOT NULL,
  "instrument" VARCHAR(50) NOT NULL,
  "base" VARCHAR(20) NOT NULL,
  "quote" VARCHAR(20) NOT NULL,
  "coin_id" VARCHAR(50),
  "asset_class" VARCHAR(20) NOT NULL,
  "bid_price" NUMERIC(30,12) NOT NULL,
  "bid_size" NUMERIC(30,12),
  "ask_price" NUMERIC(30,12) NOT NULL,
  "ask_size" NUMERIC(30,12),
  "timestamp" TIMESTAMPTZ NOT NULL,
  "received_at" TIMESTAMPTZ NOT NULL,
  "source" VARCHAR(100) NOT NULL,
  "attribution" TEXT NOT NULL,
  PRIMARY KEY ("exchange_id", "instrument", "timestamp")
);
COMMENT ON TABLE "public"."crypto_quotes" IS 'The best bid and ask of one market at one time. Record kind quote, schema version 1.';
COMMENT ON COLUMN "public"."crypto_quotes"."exchange_id" IS 'Exchange id, e.g. `binance`, `coinbase`, `kraken`.';
COMMENT ON COLUMN "public"."crypto_quotes"."instrument" IS 'The venue''s own symbol of the instrument, case kept: `BTCUSDT` (Binance), `BTC-USD` (Coinbase), `BTC/USD` (Kraken), `AAPL`, `EUR/USD`.';
COMMENT ON COLUMN "public"."crypto_quotes"."base" IS 'Normalised base asset, e.g. `BTC` of BTC/USDT.';
COMMENT ON COLUMN "public"."crypto_quotes"."quote" IS 'Normalised quote currency the prices are in, e.g. `USDT` of BTC/USDT.';
COMMENT ON COLUMN "public"."crypto_quotes"."coin_id" IS 'CoinGecko coin id of the base asset where known, e.g. `bitcoin`.';
COMMENT ON COLUMN "public"."crypto_quotes"."asset_class" IS 'Asset class: `crypto`, or e.g. `equity`, `forex`, `index`, `commodity`.';
COMMENT ON COLUMN "public"."crypto_quotes"."bid_price" IS 'Best bid price, in the quote currency.';
COMMENT ON COLUMN "public"."crypto_quotes"."bid_size" IS 'Amount at the best bid, in the base asset.';
COMMENT ON COLUMN "public"."crypto_quotes"."ask_price" IS 'Best ask price, in the quote currency.';
COMMENT ON COLUMN "public"."crypto_quotes"."ask_size" IS 'Amount at the best ask, in the base asset.';
COMMENT ON COLUMN "public"."crypto_quotes"."timestamp" IS 'When the exchange stamped the quote (UTC), or when it was received where the exchange stamps none.';
COMMENT ON COLUMN "public"."crypto_quotes"."received_at" IS 'When QiCore received it (UTC).';
COMMENT ON COLUMN "public"."crypto_quotes"."source" IS 'Name of the system the record came from, e.g. `coingecko`.';
COMMENT ON COLUMN "public"."crypto_quotes"."attribution" IS 'Attribution text the data provider requires, e.g. `Data provided by CoinGecko`.';
CREATE INDEX IF NOT EXISTS "idx_crypto_quotes_coin_id_timestamp" ON "public"."crypto_quotes" ("coin_id", "timestamp" DESC);
