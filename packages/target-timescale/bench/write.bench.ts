/**
 * Loads 1,000,000 price records into TimescaleDB through the target's bulk (COPY) path
 * and its upsert path, and, in the same run, `psql \copy` of the same rows into the same
 * kind of table (a hypertable with the same primary key), the baseline.
 *
 *     pnpm bench timescale-write        (needs QICORE_TEST_TIMESCALE_URL and psql)
 *
 * Writes bench-results/timescale-write.json (bulk path vs psql \copy) plus
 * timescale-write-replay.json and timescale-write-upsert.json.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type MarketRecord, tableModel } from "@qicore/core";
import pg from "pg";
import { type Benchmark, type BenchResult, progress, result } from "../../../bench/lib";
import { createTimescaleTarget, type TimescaleTarget } from "../src/index";
import { copyChunks, encodeBatch } from "../src/row-codec";
import { priceRecords } from "../test-support/records";
import { createScratchDatabase } from "../test-support/services";

const ROWS = Number(process.env.QICORE_BENCH_ROWS ?? 1_000_000);
/** Records per write call, as the runtime's batching would hand them over. */
/** psql and the bulk path take turns this many times; the best of each counts. */
const ROUNDS = Number(process.env.QICORE_BENCH_ROUNDS ?? 2);
const WRITE_BATCH = Number(process.env.QICORE_BENCH_WRITE_BATCH ?? 50_000);

function serverUrl(): string {
  const url = process.env.QICORE_BENCH_TIMESCALE_URL ?? process.env.QICORE_TEST_TIMESCALE_URL;
  if (!url) {
    throw new Error(
      'set QICORE_TEST_TIMESCALE_URL (eval "$(bash scripts/services.sh env)" after bash scripts/services.sh up)',
    );
  }
  return url;
}

async function timed(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

/** Flushes dirty pages so one measurement does not pay for the previous one's writes. */
async function checkpoint(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("CHECKPOINT");
  } catch {
    // CHECKPOINT needs superuser (or pg_checkpoint); without it the rounds still alternate.
  } finally {
    await client.end();
  }
}

async function countRows(url: string, schema: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const rows = await client.query(`SELECT count(*)::int AS count FROM "${schema}".crypto_prices`);
    return Number(rows.rows[0]?.count);
  } finally {
    await client.end();
  }
}

async function writeAll(target: TimescaleTarget, records: readonly MarketRecord[]): Promise<void> {
  for (let start = 0; start < records.length; start += WRITE_BATCH) {
    const report = await target.writeRecords("price", records.slice(start, start + WRITE_BATCH));
    if (report.failures.length > 0) throw new Error(`${report.failures.length} records failed`);
  }
}

async function run(): Promise<BenchResult[]> {
  const server = serverUrl();
  const scratch = await createScratchDatabase(server, "bench");
  const folder = mkdtempSync(join(tmpdir(), "qicore-bench-"));
  const targets: TimescaleTarget[] = [];
  let edition: string | undefined;
  const open = async (schema: string, options: Record<string, unknown> = {}) => {
    const target = createTimescaleTarget({
      connectionString: scratch.url,
      schema,
      timescale: "require",
      ...options,
    });
    targets.push(target);
    await target.connect();
    return target;
  };
  try {
    progress(`generating ${ROWS.toLocaleString("en-US")} price records`);
    const records = priceRecords(ROWS, { coins: 20 }) as MarketRecord[];

    const model = tableModel("price");
    const file = join(folder, "prices.tsv");
    writeFileSync(file, "");
    for (const chunk of copyChunks(model, encodeBatch(model, records), 50_000)) appendFileSync(file, chunk);
    const columns = model.columns.map((column) => column.column).join(", ");

    // The machine may be busy with other work: psql and the bulk path take turns, each on a
    // fresh hypertable after a checkpoint, and the best of the rounds counts for each.
    const psqlRates: number[] = [];
    const bulkRates: number[] = [];
    const replayRates: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const psqlSchema = `bench_psql_${round}`;
      await open(psqlSchema);
      await checkpoint(scratch.url);
      progress(`round ${round}/${ROUNDS}: psql \\copy`);
      const psqlSeconds = await timed(async () => {
        const copy = spawnSync(
          "psql",
          [
            scratch.url,
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            `\\copy ${psqlSchema}.crypto_prices (${columns}) FROM '${file}'`,
          ],
          { encoding: "utf8" },
        );
        if (copy.status !== 0) throw new Error(`psql \\copy failed: ${copy.stderr}`);
      });
      if ((await countRows(scratch.url, psqlSchema)) !== ROWS)
        throw new Error("psql \\copy did not load every row");
      psqlRates.push(ROWS / psqlSeconds);

      const bulkSchema = `bench_bulk_${round}`;
      const bulk = await open(bulkSchema, { copyBatchSize: Math.max(WRITE_BATCH, 50_000) });
      edition = bulk.migration?.edition.name;
      await checkpoint(scratch.url);
      progress(`round ${round}/${ROUNDS}: bulk path, new keys`);
      bulkRates.push(ROWS / (await timed(() => writeAll(bulk, records))));
      await checkpoint(scratch.url);
      progress(`round ${round}/${ROUNDS}: bulk path, the same records again (every key exists)`);
      replayRates.push(ROWS / (await timed(() => writeAll(bulk, records))));
      if ((await countRows(scratch.url, bulkSchema)) !== ROWS) {
        throw new Error("the bulk path did not leave exactly one row per record");
      }
    }

    progress("upsert path, new keys");
    const upsert = await open("bench_upsert", { bulkThreshold: 10_000_000 });
    await checkpoint(scratch.url);
    const upsertSeconds = await timed(() => writeAll(upsert, records));
    if ((await countRows(scratch.url, "bench_upsert")) !== ROWS)
      throw new Error("the upsert path did not load every row");
    const psqlRate = Math.max(...psqlRates);
    const rounds = {
      psql: psqlRates.map(Math.round),
      bulk: bulkRates.map(Math.round),
      replay: replayRates.map(Math.round),
    };
    const bulkRate = Math.max(...bulkRates);
    const replayRate = Math.max(...replayRates);

    const baseline = { name: "psql \\copy", value: psqlRate };
    const details = { rows: ROWS, writeBatch: WRITE_BATCH, edition, rounds };
    return [
      result("timescale-write", "rows/s", bulkRate, baseline, {
        ...details,
        path: "COPY into the hypertable (new keys)",
        replayRowsPerSecond: Math.round(replayRate),
        upsertRowsPerSecond: Math.round(ROWS / upsertSeconds),
      }),
      result("timescale-write-replay", "rows/s", replayRate, baseline, {
        ...details,
        path: "COPY into a staging table + INSERT ... ON CONFLICT DO UPDATE (every key exists)",
      }),
      result("timescale-write-upsert", "rows/s", ROWS / upsertSeconds, baseline, {
        ...details,
        path: "INSERT ... SELECT FROM unnest(...) ON CONFLICT DO UPDATE, 2,000 rows a statement",
      }),
    ];
  } finally {
    for (const target of targets) await target.disconnect();
    await scratch.drop();
    rmSync(folder, { recursive: true, force: true });
  }
}

export const benchmark: Benchmark = {
  name: "timescale-write",
  description: `${ROWS.toLocaleString("en-US")} price records into a TimescaleDB hypertable: bulk and upsert paths vs psql \\copy`,
  run,
};
