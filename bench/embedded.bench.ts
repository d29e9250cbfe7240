/**
 * The quick start as a user runs it embedded: examples/quickstart/pipeline.yaml (60,000
 * synthetic prices into an in-process PGlite, `connectionString: embedded`) through the
 * pipeline runtime and target-timescale, beside PGlite's own COPY of the same rows into the
 * same table in a fresh PGlite, rounds alternating (QICORE_BENCH_ROUNDS, default 3). Each side
 * is timed for the load only (PGlite's start and the table creation are outside the timing on
 * both); row count and the exact sum of usd_price are checked.
 *
 *     pnpm bench embedded
 */
import { PGlite } from "@electric-sql/pglite";
import {
  createRegistry,
  type MarketRecord,
  MemoryStateStore,
  Pipeline,
  silentLogger,
  syntheticSource,
  tableModel,
} from "@qicore/core";
import { createTimescaleTarget, timescaleTarget } from "@qicore/target-timescale";
import { copyChunks, encodeBatch } from "../packages/target-timescale/src/row-codec";
import { type Benchmark, type BenchResult, progress, result } from "./lib";

const PIPELINE_FILE = "examples/quickstart/pipeline.yaml";
const ROUNDS = Math.max(1, Number(process.env.QICORE_BENCH_ROUNDS ?? 3));
const model = tableModel("price");

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The quick start's file; each round gets a database of its own (the file's `embedded` is one per process). */
async function load(database = "embedded:memory://qicore-bench"): Promise<Pipeline> {
  const loaded = await Pipeline.load(PIPELINE_FILE, {
    registry: createRegistry(timescaleTarget),
    logger: silentLogger,
    // The quick start keeps a checkpoint file; every round starts from the first record.
    stateStore: new MemoryStateStore(),
    env: { DATABASE_URL: database },
  });
  if (!loaded.ok) throw loaded.error;
  return loaded.value;
}

/** The records the quick start's synthetic source emits, as the pipeline gets them. */
async function quickstartRecords(pipeline: Pipeline): Promise<MarketRecord[]> {
  const spec = pipeline.config.sources[0];
  if (!spec) throw new Error(`${PIPELINE_FILE} has no source`);
  const config = syntheticSource.configSchema.parse(spec.config);
  const source = await syntheticSource.create(config, {
    id: spec.id,
    pipelineName: "bench",
    logger: silentLogger,
  } as Parameters<typeof syntheticSource.create>[1]);
  const records: MarketRecord[] = [];
  const signal = new AbortController().signal;
  if (!source.read) throw new Error("the synthetic source cannot read");
  for await (const batch of source.read({ signal }))
    if (batch.kind === "price") records.push(...(batch.records as MarketRecord[]));
  return records;
}

async function priceTotals(query: (text: string) => Promise<{ rows: unknown[] }>) {
  const { rows } = await query(
    "SELECT count(*)::int AS rows, sum(usd_price)::text AS sum FROM crypto_prices",
  );
  return rows[0] as { rows: number; sum: string };
}

async function run(): Promise<BenchResult> {
  progress(`generating the quick start's records (${PIPELINE_FILE})`);
  const records = await quickstartRecords(await load());
  const text = [...copyChunks(model, encodeBatch(model, records), records.length)].join("");
  const columns = model.columns.map((column) => column.column).join(", ");
  const rates = { qicore: [] as number[], copy: [] as number[] };
  let expected: { rows: number; sum: string } | undefined;
  for (let round = 1; round <= ROUNDS; round++) {
    progress(`round ${round}/${ROUNDS}: PGlite COPY`);
    const pglite = new PGlite();
    const prepared = createTimescaleTarget({ pglite });
    await prepared.connect();
    const started = performance.now();
    await pglite.query(`COPY crypto_prices (${columns}) FROM '/dev/blob'`, [], { blob: new Blob([text]) });
    rates.copy.push(records.length / ((performance.now() - started) / 1000));
    const copied = await priceTotals((sql) => pglite.query(sql));
    await prepared.disconnect();
    await pglite.close();
    expected ??= copied;
    if (copied.rows !== records.length) throw new Error(`PGlite COPY left ${copied.rows} rows`);

    progress(`round ${round}/${ROUNDS}: the quick start pipeline`);
    const database = `embedded:memory://qicore-bench-${round}`;
    const pipeline = await load(database);
    const initialized = await pipeline.initialize();
    if (!initialized.ok) throw initialized.error;
    const begun = performance.now();
    const summary = await pipeline.run();
    rates.qicore.push(records.length / ((performance.now() - begun) / 1000));
    const out = Object.values(summary.recordsOut).reduce((total, count) => total + count, 0);
    if (out !== records.length) throw new Error(`the pipeline wrote ${out} of ${records.length} records`);
    const reader = createTimescaleTarget({ connectionString: database });
    const written = await priceTotals(async (sql) => (await reader.database()).query(sql));
    await reader.disconnect();
    if (written.rows !== expected.rows || written.sum !== expected.sum)
      throw new Error(
        `the pipeline left ${written.rows} rows summing to ${written.sum}; COPY: ${expected.rows}, ${expected.sum}`,
      );
    progress(
      `  copy ${Math.round(rates.copy.at(-1) as number)}, pipeline ${Math.round(rates.qicore.at(-1) as number)} rows/s`,
    );
  }
  return result(
    "embedded",
    "rows/s",
    median(rates.qicore),
    { name: "PGlite COPY of the same rows (same table, fresh PGlite)", value: median(rates.copy) },
    {
      pipeline: PIPELINE_FILE,
      records: records.length,
      rounds: ROUNDS,
      qicore: { median: Math.round(median(rates.qicore)), rounds: rates.qicore.map(Math.round) },
      copy: { median: Math.round(median(rates.copy)), rounds: rates.copy.map(Math.round) },
      expected,
    },
  );
}

export const benchmark: Benchmark = {
  name: "embedded",
  description: `the quick start's pipeline (${PIPELINE_FILE}) into PGlite vs PGlite's own COPY of the same rows`,
  run,
};
