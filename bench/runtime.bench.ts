import { z } from "zod";
import { defineSource } from "../packages/core/src/adapters/define";
import { ADAPTER_CONTRACT_VERSION, type SourceBatch } from "../packages/core/src/adapters/types";
import { SyntheticGenerator, syntheticConfigSchema } from "../packages/core/src/builtin/synthetic-source";
import { createRegistry } from "../packages/core/src/registry/registry";
import { silentLogger } from "../packages/core/src/runtime/logger";
import { Pipeline } from "../packages/core/src/runtime/pipeline";
import { MemoryStateStore } from "../packages/core/src/runtime/state-store";
import { type Benchmark, type BenchResult, progress, result } from "./lib";

const RECORDS = 2_000_000;
const BATCH = 1000;
const COINS = ["bitcoin", "ethereum", "solana", "cardano", "dogecoin", "usd-coin", "ripple", "polkadot"];
const syntheticConfig = { coins: COINS, count: RECORDS, seed: 7, batchSize: BATCH };

/** Pre-generated batches, replayed without any generation cost: isolates the runtime. */
let prepared: SourceBatch[] = [];
const replaySource = defineSource({
  name: "replay",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema: z.object({ rounds: z.number() }),
  capabilities: { kinds: ["price"], trusted: true, ack: true },
  create: ({ rounds }) => ({
    async *read() {
      let sequence = 0;
      for (let round = 0; round < rounds; round++) {
        for (const batch of prepared) yield { ...batch, checkpoint: { next: ++sequence } };
      }
    },
  }),
});

async function prepare(): Promise<void> {
  const generator = new SyntheticGenerator(
    syntheticConfigSchema.parse({ ...syntheticConfig, count: RECORDS / 100 }),
  );
  prepared = [];
  for await (const batch of generator.batches(0, new AbortController().signal)) prepared.push(batch);
}

/** The synthetic source alone: how fast records can be made at all. */
async function generatorRate(): Promise<number> {
  const generator = new SyntheticGenerator(syntheticConfigSchema.parse(syntheticConfig));
  let count = 0;
  const started = performance.now();
  for await (const batch of generator.batches(0, new AbortController().signal)) count += batch.records.length;
  return count / ((performance.now() - started) / 1000);
}

async function pipelineRate(
  source: Record<string, unknown>,
  targets: number,
): Promise<{ rate: number; maxQueue: number }> {
  const targetSpecs = Array.from({ length: targets }, (_, index) => ({
    id: `memory${index}`,
    type: "memory",
    config: { store: `bench-${index}`, keep: false },
  }));
  const loaded = await Pipeline.fromConfig(
    {
      name: "runtime-bench",
      sources: [{ id: "source", ...source }],
      targets: targetSpecs,
      delivery: { batch: { maxRecords: BATCH, maxWait: "50ms" }, maxInFlightRecords: 20 * BATCH },
    },
    { registry: createRegistry(replaySource), logger: silentLogger, stateStore: new MemoryStateStore() },
  );
  if (!loaded.ok) throw loaded.error;
  const pipeline = loaded.value;
  const initialized = await pipeline.initialize();
  if (!initialized.ok) throw initialized.error;
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
    if (summary.recordsOut[spec.id] !== RECORDS)
      throw new Error(`${spec.id} wrote ${summary.recordsOut[spec.id]} of ${RECORDS}`);
  }
  return { rate: RECORDS / seconds, maxQueue };
}

function runtimeBenchmark(targets: number): Benchmark {
  const name = `runtime-${targets}-target${targets > 1 ? "s" : ""}`;
  const replay = { type: "replay", config: { rounds: 100 } };
  const synthetic = { type: "synthetic", config: syntheticConfig };
  return {
    name,
    description: `${RECORDS.toLocaleString("en-US")} prices through the runtime into ${targets} in-memory target(s), beside the synthetic source's own speed`,
    async run(): Promise<BenchResult> {
      await prepare();
      progress("warm-up");
      await pipelineRate(replay, targets);
      progress("baseline: the synthetic source alone");
      const baseline = await generatorRate();
      progress("runtime alone: pre-generated batches → runtime → memory targets");
      const alone = await pipelineRate(replay, targets);
      progress("end to end: synthetic source → runtime → memory targets");
      const endToEnd = await pipelineRate(synthetic, targets);
      return result(
        name,
        "records/s",
        alone.rate,
        { name: "synthetic source alone", value: baseline },
        {
          records: RECORDS,
          targets,
          endToEndRecordsPerSecond: Math.round(endToEnd.rate),
          maxQueueDepthRecords: Math.max(alone.maxQueue, endToEnd.maxQueue),
          queueBoundRecords: 20 * BATCH,
        },
      );
    },
  };
}

export const benchmarks: Benchmark[] = [runtimeBenchmark(1), runtimeBenchmark(3)];
