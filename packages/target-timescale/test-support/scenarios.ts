import { type CryptoPrice, type MarketRecord, QiError } from "@qicore/core";
import { createMemoryLogger } from "@qicore/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EditionName } from "../src/edition";
import {
  createTimescaleReader,
  createTimescaleTarget,
  type TimescaleOptions,
  type TimescaleTarget,
} from "../src/index";
import { analyticsRecords, candleRecords, priceRecords, START, withNulls } from "./records";

/** A database engine the shared scenarios run against. */
export interface EngineUnderTest {
  label: string;
  edition: EditionName;
  /** Connection options for an empty database, shared by the block's tests (each uses its own schema). */
  open(): Promise<{ options: TimescaleOptions; cleanup(): Promise<void> }>;
}

const PRICE_OPTIONAL = ["btcPrice", "marketCap", "volume24h", "change24h", "change7d"] as const;

/** A decimal string with up to 8 fractional digits as an integer count of 1e-8. */
const units = (text: string) => {
  const [whole = "0", fraction = ""] = text.split(".");
  const sign = whole.startsWith("-") ? -1n : 1n;
  return sign * (BigInt(whole.replace("-", "")) * 100_000_000n + BigInt(fraction.padEnd(8, "0").slice(0, 8)));
};
const fromUnits = (value: bigint) => {
  const negative = value < 0n;
  const absolute = negative ? -value : value;
  const whole = absolute / 100_000_000n;
  const fraction = (absolute % 100_000_000n).toString().padStart(8, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
};

async function count(target: TimescaleTarget, table: string, schema: string): Promise<number> {
  const database = await target.database();
  const result = await database.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM "${schema}"."${table}"`,
  );
  return Number(result.rows[0]?.count);
}

/**
 * What every engine must do the same way: migrations, exact round trips, idempotent
 * replays on both write paths, per-record failures, checkpoints and the reader.
 */
export function describeTimescaleTarget(engine: EngineUnderTest): void {
  describe(`timescale target on ${engine.label}`, () => {
    let options: TimescaleOptions;
    let cleanup: () => Promise<void> = async () => {};
    const targets: TimescaleTarget[] = [];
    const logger = createMemoryLogger();
    const make = (schema: string, extra: Partial<TimescaleOptions> = {}) => {
      const target = createTimescaleTarget({ ...options, schema, logger, ...extra });
      targets.push(target);
      return target;
    };

    beforeAll(async () => {
      const opened = await engine.open();
      options = opened.options;
      cleanup = opened.cleanup;
    });

    afterAll(async () => {
      for (const target of targets) await target.disconnect();
      await cleanup();
    });

    it("creates its tables once even when two writers start together, and records the schema version", async () => {
      const first = make("s_migrate");
      const second = make("s_migrate");
      await Promise.all([first.connect(), second.connect()]);
      const reports = [first.migration, second.migration];
      for (const report of reports) expect(report?.edition.name).toBe(engine.edition);
      // One writer applied the steps; the other waited on the lock and found them done.
      const applied = reports.map((report) => report?.applied.length ?? 0).sort();
      expect(applied[0]).toBe(0);
      expect(applied[1]).toBeGreaterThan(0);
      const database = await first.database();
      const versions = await database.query<{ version: number }>(
        `SELECT version FROM "s_migrate".qicore_schema_version ORDER BY version`,
      );
      const expected = { postgres: [1, 5, 6], apache: [1, 2, 5, 6], timescale: [1, 2, 3, 4, 5, 6] }[
        engine.edition
      ];
      expect(versions.rows.map((row) => Number(row.version))).toEqual(expected);
      expect(first.migration?.schemaVersion).toBe(expected.at(-1));
      const third = make("s_migrate");
      await third.connect();
      expect(third.migration?.applied).toEqual([]);
    });

    it("says once, with the reason, which features it skipped", async () => {
      const target = make("s_skips");
      await target.connect();
      const skipLines = logger.lines.filter(
        (line) => line.message.startsWith("skipped") && line.fields.schema === "s_skips",
      );
      const messages = skipLines.map((line) => line.message);
      if (engine.edition === "postgres") {
        expect(
          messages.some((message) => /^skipped hypertables: TimescaleDB is not available/.test(message)),
        ).toBe(true);
      }
      if (engine.edition === "apache") {
        expect(messages).toContainEqual(expect.stringMatching(/^skipped compression.*Apache-2 edition/));
        expect(messages).toContainEqual(
          expect.stringMatching(/^skipped continuous aggregates.*Apache-2 edition/),
        );
        expect(messages.some((message) => message.startsWith("skipped hypertables"))).toBe(false);
      }
      if (engine.edition === "timescale") expect(messages).toEqual([]);
      // Said once: a second target on the same schema adds no skip lines.
      const before = logger.lines.length;
      await make("s_skips").connect();
      expect(logger.lines.slice(before).filter((line) => line.message.startsWith("skipped"))).toEqual([]);
    });

    it("warns when asked for a feature the database lacks, and fails clearly when TimescaleDB is required but absent", async () => {
      const target = make("s_asked", { retention: { enabled: true, after: "30d" } });
      await target.connect();
      const warnings = logger.lines.filter(
        (line) => line.level === "warn" && line.fields.schema === "s_asked",
      );
      if (engine.edition === "timescale") expect(warnings).toEqual([]);
      else {
        expect(warnings.map((line) => line.message)).toEqual([
          expect.stringMatching(
            /^skipped retention policy \(drop chunks older than 30 days\): .*TimescaleDB/,
          ),
        ]);
      }
      if (engine.edition !== "postgres") return;
      const required = make("s_required", { timescale: "require" });
      const failure = await required.connect().then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(QiError.isInstance(failure) && failure.retryable).toBe(false);
      expect((failure as Error).message).toMatch(
        /TimescaleDB is required \(timescale: require\) but PostgreSQL/,
      );
    });

    it("fails a write whose table is missing with a non-retryable error naming the table", async () => {
      const target = make("s_unmigrated", { migrate: false });
      const failure = await target.write("price", priceRecords(3)).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(QiError.isInstance(failure)).toBe(true);
      const error = failure as QiError;
      expect(error.retryable).toBe(false);
      expect(error.context.sqlState).toBe("42P01");
      expect(error.message).toMatch(/s_unmigrated.*crypto_prices/);
    });

    it("keeps decimals exact through NUMERIC columns and stores absent and null optional fields as NULL", async () => {
      const target = make("s_exact");
      const exact: CryptoPrice = {
        coinId: "bitcoin",
        symbol: "BTC",
        exchangeId: "aggregate",
        instrument: "bitcoin",
        quote: "USD",
        assetClass: "crypto",
        usdPrice: "12345678901.12345678",
        btcPrice: "0.000000000000000001",
        marketCap: "9999999999999999999999999999.99",
        volume24h: null,
        change24h: "-99999999.9999",
        lastUpdated: "2024-03-01T12:34:56.789Z",
        source: "test",
        attribution: "Test data",
      };
      const sparse: CryptoPrice = {
        ...exact,
        usdPrice: "0.00000001",
        lastUpdated: "2024-03-01T12:35:00.000Z",
      };
      delete (sparse as Partial<CryptoPrice>).btcPrice;
      delete (sparse as Partial<CryptoPrice>).marketCap;
      delete (sparse as Partial<CryptoPrice>).change24h;
      expect(await target.write("price", [exact, sparse])).toBeUndefined();
      const history = await target.reader.getPriceHistory(
        "bitcoin",
        new Date("2024-03-01"),
        new Date("2024-03-02"),
      );
      expect(history.ok).toBe(true);
      if (!history.ok) return;
      expect(history.value).toEqual([withNulls(exact, PRICE_OPTIONAL), withNulls(sparse, PRICE_OPTIONAL)]);
      const database = await target.database();
      const raw = await database.query<{ usd_price: string }>(
        `SELECT usd_price::text AS usd_price FROM "s_exact".crypto_prices ORDER BY last_updated`,
      );
      expect(raw.rows.map((row) => row.usd_price)).toEqual(["12345678901.12345678", "0.00000001"]);
    });

    it("leaves exactly 100,000 rows after the same 100,000 records are written twice, on both write paths", async () => {
      const target = make("s_replay", { bulkThreshold: 5_000, copyBatchSize: 25_000 });
      const records = priceRecords(100_000);
      const firstLoad = await target.writeRecords("price", records);
      expect(firstLoad).toMatchObject({ failures: [], rows: 100_000, path: "copy" });
      const replay = await target.writeRecords("price", records);
      expect(replay).toMatchObject({ failures: [], rows: 100_000, path: "copy" });
      expect(await count(target, "crypto_prices", "s_replay")).toBe(100_000);

      // The same keys with new prices, through the upsert path: rows are updated, not added.
      const changed = priceRecords(100_000, { variant: 1 });
      for (let start = 0; start < changed.length; start += 5_000) {
        const report = await target.writeRecords("price", changed.slice(start, start + 5_000));
        expect(report.path).toBe("upsert");
        expect(report.failures).toEqual([]);
      }
      expect(await count(target, "crypto_prices", "s_replay")).toBe(100_000);
      const sample = changed[54_321] as CryptoPrice;
      const stored = await target.reader.getPriceHistory(
        sample.coinId as string,
        new Date(sample.lastUpdated),
        new Date(Date.parse(sample.lastUpdated) + 1),
      );
      expect(stored.ok && stored.value[0]?.usdPrice).toBe(sample.usdPrice);
      // And back through COPY (existing keys: the staging-table merge).
      expect((await target.writeRecords("price", records)).failures).toEqual([]);
      expect(await count(target, "crypto_prices", "s_replay")).toBe(100_000);
      const restored = await target.reader.getPriceHistory(
        sample.coinId as string,
        new Date(sample.lastUpdated),
        new Date(Date.parse(sample.lastUpdated) + 1),
      );
      expect(restored.ok && restored.value[0]?.usdPrice).toBe((records[54_321] as CryptoPrice).usdPrice);
    }, 240_000);

    it("merges records with the same key in one batch, the last one winning", async () => {
      const target = make("s_duplicates", { bulkThreshold: 100 });
      for (const size of [10, 1_000]) {
        const records = priceRecords(size, { offset: size });
        const later = records.map((record) => ({ ...record, usdPrice: "42.5" }));
        const report = await target.writeRecords("price", [...records, ...later]);
        expect(report.failures).toEqual([]);
        expect(report.rows).toBe(size);
        expect(report.path).toBe(size > 100 ? "copy" : "upsert");
      }
      expect(await count(target, "crypto_prices", "s_duplicates")).toBe(1_010);
      const latest = await target.reader.getLatestPrices();
      expect(latest.ok && latest.value.every((price) => price.usdPrice === "42.5")).toBe(true);
    });

    it("reports the records the database refuses, by index, and writes all the others", async () => {
      const target = make("s_refused", { bulkThreshold: 500, batchSize: 100 });
      await target.connect();
      const database = await target.database();
      await database.query(
        `ALTER TABLE "s_refused".crypto_prices ADD CONSTRAINT positive_price CHECK (usd_price > 0)`,
      );
      for (const [size, offset] of [
        [300, 0],
        [3_000, 300],
      ] as const) {
        const records = priceRecords(size, { offset });
        const bad = [0, 17, size - 1];
        for (const index of bad) (records[index] as CryptoPrice).usdPrice = "-1";
        const report = await target.writeRecords("price", records);
        expect(report.path).toBe(size > 500 ? "copy" : "upsert");
        expect(report.failures.map((failure) => failure.index)).toEqual(bad);
        for (const failure of report.failures) {
          expect(QiError.isInstance(failure.error)).toBe(true);
          expect(failure.error.retryable).toBe(false);
          expect(failure.error.message).toMatch(/positive_price/);
          expect(failure.error.context.sqlState).toBe("23514");
        }
      }
      expect(await count(target, "crypto_prices", "s_refused")).toBe(3_300 - 6);
    });

    it("keeps source checkpoints in qicore_state", async () => {
      const target = make("s_state");
      const store = await target.stateStore();
      expect(await store.load("pipeline-a", "source-1")).toBeUndefined();
      await store.save("pipeline-a", "source-1", { offsets: { "0": 41, "1": 7 } });
      await store.save("pipeline-a", "source-2", 5);
      await store.save("pipeline-a", "source-1", { offsets: { "0": 42, "1": 7 } });
      expect(await store.load("pipeline-a", "source-1")).toEqual({ offsets: { "0": 42, "1": 7 } });
      expect(await store.load("pipeline-a", "source-2")).toBe(5);
      expect(await store.load("pipeline-b", "source-1")).toBeUndefined();
    });

    it("reads back prices, candles and analytics through the reader, bounded by maxRows", async () => {
      const target = make("s_reader", { maxRows: 500 });
      const prices = priceRecords(3_000, { coins: 3 });
      expect((await target.writeRecords("price", prices)).failures).toEqual([]);
      const candles = candleRecords(120);
      const analytics = analyticsRecords(50);
      expect(await target.write("ohlcv", candles)).toBeUndefined();
      expect(await target.write("analytics", analytics)).toBeUndefined();
      const { reader } = target;

      const latest = await reader.getLatestPrices();
      expect(latest.ok).toBe(true);
      if (!latest.ok) return;
      expect(latest.value.map((price) => price.coinId)).toEqual(["coin-0", "coin-1", "coin-2"]);
      for (const price of latest.value) {
        const expected = prices.filter((record) => record.coinId === price.coinId).at(-1);
        expect(price).toEqual(withNulls(expected as CryptoPrice, PRICE_OPTIONAL));
      }
      const some = await reader.getLatestPrices(["coin-2", "nothing"]);
      expect(some.ok && some.value.map((price) => price.coinId)).toEqual(["coin-2"]);

      // Every query is bounded: a year of prices returns maxRows rows at most.
      const history = await reader.getPriceHistory(
        "coin-1",
        new Date(START),
        new Date(START + 365 * 86_400_000),
      );
      expect(history.ok && history.value.length).toBe(500);
      const limited = await reader.getPriceHistory("coin-1", new Date(START), new Date(START + 86_400_000), {
        limit: 3,
      });
      expect(limited.ok && limited.value.map((price) => price.lastUpdated)).toEqual([
        "2024-01-01T00:00:00.000Z",
        "2024-01-01T00:01:00.000Z",
        "2024-01-01T00:02:00.000Z",
      ]);

      const coinPrices = prices.filter((record) => record.coinId === "coin-0");
      const aggregated = await reader.aggregateCandles(
        "coin-0",
        "15m",
        new Date(START),
        new Date(START + 86_400_000),
        {
          useAggregates: false,
        },
      );
      expect(aggregated.ok).toBe(true);
      if (!aggregated.ok) return;
      expect(aggregated.value).toHaveLength(Math.ceil(coinPrices.length / 15));
      aggregated.value.forEach((candle, bucket) => {
        const members = coinPrices.slice(bucket * 15, bucket * 15 + 15);
        const values = members.map((record) => units(record.usdPrice));
        const sorted = [...values].sort((a, b) => (a < b ? -1 : 1));
        expect(candle).toEqual({
          coinId: "coin-0",
          exchangeId: "aggregate",
          timeframe: "15m",
          timestamp: new Date(START + bucket * 15 * 60_000).toISOString(),
          open: fromUnits(values[0] as bigint),
          close: fromUnits(values.at(-1) as bigint),
          high: fromUnits(sorted.at(-1) as bigint),
          low: fromUnits(sorted[0] as bigint),
          samples: members.length,
        });
      });

      const latestCandles = await reader.getLatestOHLCV("coin-0", "1m", 5);
      expect(latestCandles.ok && latestCandles.value).toEqual(
        candles.slice(-5).map((candle) => withNulls(candle, ["volume"])),
      );
      const window = await reader.getMarketAnalytics(new Date(START), new Date(START + 10 * 5 * 60_000));
      expect(window.ok && window.value).toEqual(
        analytics.slice(0, 10).map((row) => withNulls(row, ["ethDominance"])),
      );

      const badWidth = await reader.aggregateCandles("coin-0", "90s", new Date(START), new Date(START + 1));
      expect(!badWidth.ok && badWidth.error.code).toBe("VALIDATION_FAILED");
      const backwards = await reader.getPriceHistory("coin-0", new Date(START + 1), new Date(START));
      expect(!backwards.ok && backwards.error.message).toMatch(/start .* is after end/);

      const hypertables = await reader.listHypertables();
      expect(hypertables.ok).toBe(true);
      const names = hypertables.ok ? hypertables.value.map((table) => table.table) : [];
      expect(names).toEqual(
        engine.edition === "postgres"
          ? []
          : ["crypto_market_analytics", "crypto_ohlcv", "crypto_prices", "crypto_quotes", "crypto_trades"],
      );
      const health = await target.healthCheck();
      expect(health.status).toBe("healthy");
      expect(health.details?.edition).toBe(engine.edition);
    });

    it("serves a separate reader over the same database", async () => {
      const target = make("s_separate");
      const records = priceRecords(30, { coins: 3 });
      expect(await target.write("price", records as MarketRecord[])).toBeUndefined();
      const reader = createTimescaleReader({ ...options, schema: "s_separate" });
      try {
        const latest = await reader.getLatestPrices();
        expect(latest.ok && latest.value.map((price) => price.usdPrice)).toEqual(
          records.slice(-3).map((record) => record.usdPrice),
        );
      } finally {
        await reader.close();
      }
    });
  });
}
