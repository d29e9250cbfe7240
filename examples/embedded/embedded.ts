/**
 * Embeds a pipeline in an application: load the file, initialize, start, read health and
 * metrics while it runs, call a target's DSL method directly, and stop. Runs unchanged under
 * Node (tsx) and Bun; exits non-zero when a result is not what it should be.
 */
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MemoryStateStore, memoryStore, Pipeline } from "@qicore/core";

const runtime =
  typeof (globalThis as { Bun?: unknown }).Bun === "undefined" ? `node ${process.version}` : "bun";
const here = dirname(fileURLToPath(import.meta.url));
rmSync(join(here, ".qicore"), { recursive: true, force: true });
for (const store of ["live", "archive"]) memoryStore(store).clear();

const failures: string[] = [];
const expect = (condition: boolean, message: string) => condition || failures.push(message);

const loaded = await Pipeline.load(join(here, "pipeline.yaml"), { stateStore: new MemoryStateStore() });
if (!loaded.ok) throw loaded.error;
const pipeline = loaded.value;

const initialized = await pipeline.initialize();
if (!initialized.ok) throw initialized.error;
expect(pipeline.health().ready, "not ready after initialize");

// The targets' DSL methods work directly, outside the pipeline's flow.
const published = await pipeline.target("live")?.publishPrices([
  {
    coinId: "bitcoin",
    symbol: "BTC",
    usdPrice: "70000.12345678",
    lastUpdated: "2030-01-01T00:00:00Z",
    source: "app",
    attribution: "app",
  },
  {
    coinId: "bitcoin",
    symbol: "BTC",
    usdPrice: "not a number",
    lastUpdated: "2030-01-01T00:00:00Z",
    source: "app",
    attribution: "app",
  },
]);
expect(
  published?.ok === true && published.value.written === 1 && published.value.failed[0]?.index === 1,
  "publishPrices did not write 1 and refuse index 1",
);

const summary = await pipeline.run();
await pipeline.destroy();

expect(
  summary.state === "stopped" && !summary.error,
  `run ended ${summary.state}: ${summary.error?.message}`,
);
expect(
  summary.recordsIn === 60_000,
  `read ${summary.recordsIn}, expected 60000 (30000 prices + 30000 candles)`,
);
expect(summary.recordsOut.live === 30_000, `live wrote ${summary.recordsOut.live}, expected 30000 prices`);
expect(summary.recordsOut.archive === 60_000, `archive wrote ${summary.recordsOut.archive}, expected 60000`);
expect(
  memoryStore("live").size("price") === 30_001,
  `live holds ${memoryStore("live").size("price")} prices, expected 30001`,
);
expect(memoryStore("archive").size("ohlcv") === 30_000, "archive does not hold 30000 candles");
const metrics = pipeline.metricsSnapshot();
expect(metrics.queueDepth === 0, `queue not empty at the end: ${metrics.queueDepth}`);
expect(
  Object.keys(metrics.dataAgeSeconds).sort().join() === "bitcoin,ethereum,solana",
  "data age not tracked per coin",
);

if (failures.length > 0) {
  console.error(`embedded example under ${runtime} FAILED:\n- ${failures.join("\n- ")}`);
  process.exit(1);
}
console.log(
  `embedded example under ${runtime}: ${summary.recordsIn} records in, ${summary.recordsOut.archive} archived — OK`,
);
