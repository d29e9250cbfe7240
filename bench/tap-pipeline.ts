/**
 * One pipeline of `pnpm bench tap`, in a process of its own: an unbounded synthetic source into a
 * memory target, served over HTTP like `qicore run --metrics-port`. Prints its URL as a JSON line,
 * then runs until SIGTERM. The benchmark reads its counters from GET /status.
 */
import { createRegistry } from "../packages/core/src/registry/registry";
import { serveMetrics } from "../packages/core/src/runtime/http-server";
import { silentLogger } from "../packages/core/src/runtime/logger";
import { Pipeline } from "../packages/core/src/runtime/pipeline";
import { MemoryStateStore } from "../packages/core/src/runtime/state-store";

const BATCH = 1000;
const COINS = ["bitcoin", "ethereum", "solana", "cardano", "dogecoin", "usd-coin", "ripple", "polkadot"];

const loaded = await Pipeline.fromConfig(
  {
    name: "tap-bench",
    sources: [{ id: "gen", type: "synthetic", config: { coins: COINS, seed: 7, batchSize: BATCH } }],
    targets: [{ id: "mem", type: "memory", config: { store: "tap-bench", keep: false } }],
    delivery: { batch: { maxRecords: BATCH, maxWait: "50ms" }, maxInFlightRecords: 20 * BATCH },
  },
  { registry: createRegistry(), logger: silentLogger, stateStore: new MemoryStateStore() },
);
if (!loaded.ok) throw loaded.error;
const pipeline = loaded.value;
const started = await pipeline.start();
if (!started.ok) throw started.error;
const server = await serveMetrics(pipeline, { port: 0 });
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.once("SIGTERM", async () => {
  await pipeline.destroy();
  await server.close();
  process.exit(0);
});
