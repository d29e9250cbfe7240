import { readFileSync } from "node:fs";
import { type MarketRecord, type RecordKind, validateRecord } from "@qicore/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/database";
import type { EditionName } from "../src/edition";
import { createTimescaleTarget, type TimescaleOptions, type TimescaleTarget } from "../src/index";

/** A database for one side of the comparison, and how to throw it away. */
export interface UpgradeDatabase {
  options: TimescaleOptions;
  /** Runs a SQL script (several statements) on it, outside any target. */
  run(sql: string): Promise<void>;
  cleanup(): Promise<void>;
}

const fixture = (edition: EditionName) =>
  readFileSync(new URL(`../src/__fixtures__/release-0.1.0/${edition}.sql`, import.meta.url), "utf8");

const DAY = 86_400_000;
/** Old enough for chunks to be compressed (the fixture's policy compresses after 7 days). */
const OLD = Date.UTC(2024, 0, 1);

// Rows as 0.1.0 wrote them: CoinGecko prices and candles, no instrument or quote columns.
const OLD_ROWS = `
INSERT INTO "public"."crypto_prices" (coin_id, symbol, exchange_id, usd_price, btc_price, market_cap, volume_24h, change_24h, change_7d, last_updated, source, attribution)
SELECT coin, upper(left(coin, 3)), 'aggregate', ((1000 + day)::text || '.12345678')::numeric, NULL, 123456789.25, NULL, -1.5, NULL,
       TIMESTAMPTZ '2024-01-01 00:00:00+00' + day * INTERVAL '1 day', 'coingecko', 'Data provided by CoinGecko'
FROM unnest(ARRAY['bitcoin', 'ethereum']) AS coin, generate_series(0, 19) AS day;
INSERT INTO "public"."crypto_ohlcv" (coin_id, exchange_id, timestamp, timeframe, open, high, low, close, volume, is_final, source, attribution)
SELECT 'bitcoin', 'aggregate', TIMESTAMPTZ '2024-01-01 00:00:00+00' + day * INTERVAL '1 day', '1d',
       42000.5, 43000.25, 41000.125, 42500.0625, NULL, TRUE, 'coingecko', 'Data provided by CoinGecko'
FROM generate_series(0, 19) AS day;
`;

function valid<K extends RecordKind>(kind: K, input: unknown): MarketRecord {
  const result = validateRecord(kind, input);
  if (!result.ok) throw result.error;
  return result.value;
}

const binanceCandle = (instrument: string, quote: string, close: string) =>
  valid("ohlcv", {
    exchangeId: "binance",
    instrument,
    base: "BTC",
    quote,
    coinId: "bitcoin",
    timestamp: OLD,
    timeframe: "1m",
    open: "42000.01000000",
    high: "42010.00000000",
    low: "41990.00000000",
    close,
    volume: "12.34500000",
    isFinal: true,
    source: "binance",
    attribution: "Data from Binance",
  });

/** What makes two databases' tables the same: columns, types, nullability, keys, indexes. */
async function structure(database: Database): Promise<unknown> {
  const columns = await database.query(
    `SELECT table_name, column_name, data_type, character_maximum_length, numeric_precision, numeric_scale, is_nullable
       FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name LIKE 'crypto\\_%' AND table_name NOT LIKE 'crypto\\_candles\\_%'
      ORDER BY table_name, column_name`,
  );
  const keys = await database.query(
    `SELECT c.conrelid::regclass::text AS table_name, array_agg(a.attname::text ORDER BY k.position) AS columns
       FROM pg_constraint c
       CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, position)
       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
      WHERE c.contype = 'p' AND c.connamespace = 'public'::regnamespace
      GROUP BY c.conrelid ORDER BY 1`,
  );
  const indexes = await database.query(
    `SELECT tablename, indexname FROM pg_indexes
      WHERE schemaname = 'public' AND indexname LIKE 'idx\\_%' ORDER BY 1, 2`,
  );
  return { columns: columns.rows, keys: keys.rows, indexes: indexes.rows };
}

async function compressionSettings(database: Database): Promise<unknown> {
  const result = await database.query(
    `SELECT hypertable::text AS hypertable, segmentby, orderby
       FROM timescaledb_information.hypertable_compression_settings
      WHERE hypertable::text LIKE 'crypto\\_%' ORDER BY 1`,
  );
  return result.rows;
}

/**
 * A database holding 0.1.0's schema and rows upgrades in place on connect: its rows become
 * instruments in US dollars, its tables end up as a new database's, and the new keys keep
 * BTC/USDT and BTC/USDC candles apart.
 */
export function describeUpgradeFromRelease(
  label: string,
  edition: EditionName,
  open: (name: string) => Promise<UpgradeDatabase>,
): void {
  describe(`upgrading a ${label} database made by target-timescale 0.1.0`, () => {
    let old: UpgradeDatabase;
    let fresh: UpgradeDatabase;
    let upgraded: TimescaleTarget;
    let created: TimescaleTarget;

    beforeAll(async () => {
      old = await open("upgrade_old");
      await old.run(fixture(edition));
      await old.run(OLD_ROWS);
      if (edition === "timescale")
        await old.run(`SELECT compress_chunk(chunk) FROM show_chunks('"public"."crypto_prices"') AS chunk`);
      upgraded = createTimescaleTarget({ ...old.options, candles: { enabled: edition === "timescale" } });
      await upgraded.connect();
      fresh = await open("upgrade_fresh");
      created = createTimescaleTarget({ ...fresh.options, candles: { enabled: edition === "timescale" } });
      await created.connect();
    }, 240_000);

    afterAll(async () => {
      await upgraded?.disconnect();
      await created?.disconnect();
      await old?.cleanup();
      await fresh?.cleanup();
    });

    it("records schema version 5 and keeps every old row, as its coin in US dollars", async () => {
      const database = await upgraded.database();
      const versions = await database.query<{ version: number }>(
        `SELECT version FROM "public"."qicore_schema_version" ORDER BY version`,
      );
      expect(versions.rows.map((row) => Number(row.version))).toContain(5);
      const prices = await database.query<{ n: number; instruments: string[]; quotes: string[] }>(
        `SELECT count(*)::int AS n, array_agg(DISTINCT instrument ORDER BY instrument) AS instruments,
                array_agg(DISTINCT quote) AS quotes FROM "public"."crypto_prices"
          WHERE instrument = coin_id AND asset_class = 'crypto'`,
      );
      expect(prices.rows[0]).toEqual({ n: 40, instruments: ["bitcoin", "ethereum"], quotes: ["USD"] });
      const history = await upgraded.reader.getPriceHistory(
        "bitcoin",
        new Date(OLD),
        new Date(OLD + 3 * DAY),
      );
      expect(history.ok && history.value.map((price) => price.usdPrice)).toEqual([
        "1000.12345678",
        "1001.12345678",
        "1002.12345678",
      ]);
    });

    it("has the tables, keys and indexes a database created by this release has", async () => {
      expect(await structure(await upgraded.database())).toEqual(await structure(await created.database()));
      if (edition === "timescale")
        expect(await compressionSettings(await upgraded.database())).toEqual(
          await compressionSettings(await created.database()),
        );
    });

    it("updates the old rows when the same CoinGecko records are written again, adding none", async () => {
      const replay = Array.from({ length: 20 }, (_, day) =>
        valid("price", {
          coinId: "ethereum",
          symbol: "ETH",
          usdPrice: `${1000 + day}.5`,
          marketCap: "123456789.25",
          change24h: "-1.5",
          lastUpdated: OLD + day * DAY,
          source: "coingecko",
          attribution: "Data provided by CoinGecko",
        }),
      );
      expect(await upgraded.write("price", replay)).toBeUndefined();
      const database = await upgraded.database();
      const rows = await database.query<{ n: number; updated: number }>(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE usd_price::text LIKE '%.50000000')::int AS updated
           FROM "public"."crypto_prices" WHERE coin_id = 'ethereum'`,
      );
      expect(rows.rows[0]).toEqual({ n: 20, updated: 20 });
    });

    it("keeps BTC/USDT and BTC/USDC candles of one exchange and minute apart, decimals exact", async () => {
      const candles = [
        binanceCandle("BTCUSDT", "USDT", "42005.12345678"),
        binanceCandle("BTCUSDC", "USDC", "42006.87654321"),
      ];
      expect(await upgraded.write("ohlcv", candles)).toBeUndefined();
      const database = await upgraded.database();
      const rows = await database.query<{ instrument: string; close: string }>(
        `SELECT instrument, close::text AS close FROM "public"."crypto_ohlcv"
          WHERE exchange_id = 'binance' ORDER BY instrument`,
      );
      expect(rows.rows).toEqual([
        { instrument: "BTCUSDC", close: "42006.876543210000" },
        { instrument: "BTCUSDT", close: "42005.123456780000" },
      ]);
    });

    it("stores trades and quotes in their new tables", async () => {
      const instrument = { exchangeId: "kraken", instrument: "BTC/USD", base: "BTC", quote: "USD" };
      const provenance = { source: "kraken", attribution: "Data from Kraken" };
      const trade = valid("trade", {
        ...instrument,
        ...provenance,
        tradeId: "4665906",
        price: "42000.1",
        amount: "0.00012345",
        side: "buy",
        timestamp: OLD,
        receivedAt: OLD + 5,
      });
      const quote = valid("quote", {
        ...instrument,
        ...provenance,
        bidPrice: "41999.9",
        bidSize: "1.5",
        askPrice: "42000.1",
        askSize: "0.25",
        timestamp: OLD,
        receivedAt: OLD + 5,
      });
      expect(await upgraded.write("trade", [trade, trade])).toBeUndefined();
      expect(await upgraded.write("quote", [quote])).toBeUndefined();
      const database = await upgraded.database();
      const trades = await database.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "public"."crypto_trades"`,
      );
      const quotes = await database.query<{ ask: string }>(
        `SELECT ask_price::text AS ask FROM "public"."crypto_quotes"`,
      );
      expect(trades.rows[0]?.n).toBe(1);
      expect(quotes.rows).toEqual([{ ask: "42000.100000000000" }]);
    });
  });
}
