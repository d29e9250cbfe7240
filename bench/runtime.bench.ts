import { syntheticConfigSchema, SyntheticGenerator } from "../packages/core/src/builtin/synthetic-source";
import { memoryTarget } from "../packages/core/src/builtin/memory-target";
import { createRegistry } from "../packages/core/src/registry/registry";
import { silentLogger } from "../packages/core/src/runtime/logger";
import { Pipeline } from "../packages/core/src/runtime/pipeline";
import { MemoryStateStore } from "../packages/core/src/runtime/state-store";
import { type Benchmark, type BenchResult, progress, result } from "./lib";

const RECORDS = 2_000_000;
const COINS = ["bitcoin", "ethereum", "solana", "cardano", "dogecoin", "usd-coin", "ripple", "polkadot"];

/**
 * Baseline: the same synthetic records handed straight to the same memory target's
 * write, without the runtime (no queue, no routing, no acknowledgements). The ratio
 * is what the runtime keeps of the raw speed.
 */
async function directRate(targets: number): Promise<number> {
  const config = syntheticConfigSchema.parse({ coins: COINS, count: RECORDS, seed: 7, batchSize: 1000 });
  const generator = new SyntheticGenerator(config);
  const handlers = await Promise.all(
    Array.from({ length: targets }, (_, index) =>
      memoryTarget.create(
        { store: `direct-${index}`, keep: false, latencyMs: 0, failFirstWrites: 0, failAlways: false, rejectCoins: [] },
        { id: `direct-${index}`, pipelineName: "bench", logger: silentLogger, baseDir: ".", signal: new AbortController().signal },
      ),
    ),
  );
  const started = performance.now();
  for await (const batch of generator.batches(0, new AbortController().signal)) {
    for (const target of handlers) await target.write(batch.kind, batch.records as never);
  }
  return RECORDS / ((performance.now() - started) / 1000);
}

async function runtimeRate(targets: number): Promise<{ rate: number; maxQueue: number }> {
  const targetSpecs = Array.from({ length: targets }, (_, index) => ({
    id: `memory${index}`,
    type: "memory",
    config: { store: `bench-${index}`, keep: false },
  }));
  const loaded = await Pipeline.fromConfig(
    {
      name: "runtime-bench",
      sources: [{ id: "gen", type: "synthetic", config: { coins: COINS, count: RECORDS, seed: 7, batchSize: 1000 } }],
      targets: targetSpecs,
      delivery: { batch: { maxRecords: 1000, maxWait: "50ms" }, maxInFlightRecords: 20_000 },
    },
    { registry: createRegistry(), logger: silentLogger, stateStore: new MemoryStateStore() },
  );
  if (!loaded.ok) throw loaded.error;
  const pipeline = loaded.value;
  await pipeline.initialize();
  let maxQueue = 0;
  const sampler = setInterval(() => {
    maxQueue = Math.max(maxQueue, pipeline.metrics.snapshot().queueDepth);
  }, 20);
  const started = performance.now();
  const summary = await pipeline.run();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  await pipeline.destroy();
  if (summary.error) throw summary.error;
  for (const spec of targetSpecs) {
    if (summary.recordsOut[spec.id] !== RECORDS) throw new Error(`${spec.id} wrote ${summary.recordsOut[spec.id]} of ${RECORDS}`);
  }
  return { rate: RECORDS / seconds, maxQueue };
}

function runtimeBenchmark(targets: number): Benchmark {
  const name = `runtime-${targets}-target${targets > 1 ? "s" : ""}`;
  return {
    name,
    description: `${RECORDS.toLocaleString("en-US")} synthetic prices through the runtime into ${targets} in-memory target(s)`,
    async run(): Promise<BenchResult> {
      progress("warm-up");
      await runtimeRate(targets);
      progress("baseline: synthetic records written directly, no runtime");
      const baseline = await directRate(targets);
      progress("runtime");
      const { rate, maxQueue } = await runtimeRate(targets);
      return result(name, "records/s", rate, { name: "direct write without runtime", value: baseline }, { records: RECORDS, maxQueueDepth: maxQueue });
    },
  };
}

export const benchmarks: Benchmark[] = [runtimeBenchmark(1), runtimeBenchmark(3)];
