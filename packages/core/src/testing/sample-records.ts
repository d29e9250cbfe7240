import { SyntheticGenerator, syntheticConfigSchema } from "../builtin/synthetic-source";
import type { MarketRecord, RecordKind } from "../dsl/kinds";

/**
 * Valid, normalised records of a kind for tests: deterministic (seeded), covering
 * several coins and times. Decimals have long fractional parts; for decimals at full column precision see precisionRecords().
 */
export async function sampleRecords(kind: RecordKind, count: number, seed = 42): Promise<MarketRecord[]> {
  const coins = ["bitcoin", "ethereum", "solana"];
  const positions = kind === "analytics" ? count * coins.length : count;
  const generator = new SyntheticGenerator(
    syntheticConfigSchema.parse({
      coins,
      count: positions,
      seed,
      kinds: [kind],
      batchSize: Math.max(positions, 1),
    }),
  );
  const records: MarketRecord[] = [];
  for await (const batch of generator.batches(0, new AbortController().signal)) {
    records.push(...(batch.records as MarketRecord[]));
  }
  return records.slice(0, count);
}
