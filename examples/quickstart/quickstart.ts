/**
 * The quick start: runs pipeline.yaml (synthetic source → timescale target, embedded by
 * default), with a progress line on a terminal, then reads back through the target's
 * reader the latest price and the last 1-hour candle of each coin.
 * `--check` also verifies the figures and exits non-zero when one is wrong (CI runs it).
 */
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { formatSummary, MemoryStateStore, Pipeline, showProgress } from "@qicore/core";
import type { TimescaleTarget } from "@qicore/target-timescale";
import "@qicore/target-timescale";

const here = dirname(fileURLToPath(import.meta.url));
const check = process.argv.includes("--check");
rmSync(join(here, ".qicore"), { recursive: true, force: true });

// Each quick start begins from the first record (the checkpoint lives in memory here).
const loaded = await Pipeline.load(join(here, "pipeline.yaml"), { stateStore: new MemoryStateStore() });
if (!loaded.ok) {
  console.error(loaded.error.message);
  process.exit(2);
}
const pipeline = loaded.value;
const initialized = await pipeline.initialize();
if (!initialized.ok) {
  console.error(`could not start: ${initialized.error.message}`);
  process.exit(1);
}

const stopProgress = showProgress(pipeline);
const summary = await pipeline.run();
stopProgress();
console.log(formatSummary(summary));

const target = pipeline.target("db");
if (!target) throw new Error('the pipeline has no target "db"');
const reader = (target.handlers as TimescaleTarget).reader;
const coins = ["bitcoin", "ethereum", "solana"];
const latest = await reader.getLatestPrices(coins);
if (!latest.ok) throw latest.error;

const rows: Record<string, string>[] = [];
for (const price of latest.value) {
  const end = new Date(Date.parse(price.lastUpdated) + 60_000);
  const hourStart = new Date(Math.floor(end.getTime() / 3_600_000) * 3_600_000 - 3_600_000);
  const candles = await reader.aggregateCandles(
    price.coinId ?? price.instrument ?? "",
    "1h",
    hourStart,
    new Date(hourStart.getTime() + 3_600_000),
  );
  if (!candles.ok) throw candles.error;
  const candle = candles.value[0];
  rows.push({
    coin: price.coinId ?? price.instrument ?? "",
    "latest price (USD)": price.usdPrice,
    at: price.lastUpdated,
    "last 1h candle": candle ? candle.timestamp : "-",
    open: candle?.open ?? "-",
    high: candle?.high ?? "-",
    low: candle?.low ?? "-",
    close: candle?.close ?? "-",
  });
}
console.log("\nRead back from the database:");
console.table(rows);
await pipeline.destroy();

if (check) {
  const failures: string[] = [];
  if (summary.error) failures.push(`run failed: ${summary.error.message}`);
  if (summary.recordsOut.db !== 60_000)
    failures.push(`wrote ${summary.recordsOut.db} prices, expected 60000`);
  if (rows.length !== 3) failures.push(`read back ${rows.length} coins, expected 3`);
  for (const row of rows) {
    if (row.at !== "2024-01-14T21:19:00.000Z")
      failures.push(`${row.coin}: latest price at ${row.at}, expected 2024-01-14T21:19:00.000Z`);
    if (row["last 1h candle"] !== "2024-01-14T20:00:00.000Z")
      failures.push(`${row.coin}: last full hour ${row["last 1h candle"]}`);
    const [low, high, open, close] = [row.low, row.high, row.open, row.close].map(Number) as [
      number,
      number,
      number,
      number,
    ];
    if (!(low <= Math.min(open, close) && high >= Math.max(open, close)))
      failures.push(`${row.coin}: candle not consistent`);
  }
  if (failures.length > 0) {
    console.error(`quickstart check FAILED:\n- ${failures.join("\n- ")}`);
    process.exit(1);
  }
  console.log("quickstart check: 60,000 prices written and read back — OK");
}
