import { describe, expect, it } from "vitest";
import type { SourceBatch } from "../adapters/types";
import { validateRecord } from "../dsl/validate";
import { SyntheticGenerator, syntheticConfigSchema } from "./synthetic-source";

async function collect(config: unknown, from = 0): Promise<SourceBatch[]> {
  const generator = new SyntheticGenerator(syntheticConfigSchema.parse(config));
  const batches: SourceBatch[] = [];
  for await (const batch of generator.batches(from, new AbortController().signal)) batches.push(batch);
  return batches;
}

describe("synthetic source", () => {
  it("gives the same records for the same seed and different ones for another", async () => {
    const config = { coins: ["bitcoin", "ethereum"], count: 50, seed: 7, batchSize: 20 };
    const first = await collect(config);
    const again = await collect(config);
    const other = await collect({ ...config, seed: 8 });
    expect(again).toEqual(first);
    expect(other[0]?.records[0]).not.toEqual(first[0]?.records[0]);
    expect(first.flatMap((batch) => batch.records)).toHaveLength(50);
    expect(first.map((batch) => batch.checkpoint)).toEqual([{ next: 20 }, { next: 40 }, { next: 50 }]);
  });

  it("resumes from a checkpoint with exactly the records that followed it", async () => {
    const config = { coins: ["bitcoin", "ethereum", "solana"], count: 30, seed: 3, batchSize: 10 };
    const all = (await collect(config)).flatMap((batch) => batch.records);
    const resumed = (await collect(config, 20)).flatMap((batch) => batch.records);
    expect(resumed).toEqual(all.slice(20));
  });

  it("emits records already in the schemas' normal form (it is a trusted source)", async () => {
    const batches = await collect({
      coins: ["bitcoin", "pepe"],
      count: 6,
      kinds: ["price", "ohlcv", "analytics"],
      interval: "1h",
    });
    for (const batch of batches) {
      for (const record of batch.records) {
        const result = validateRecord(batch.kind, record);
        expect(result.ok, JSON.stringify(result)).toBe(true);
        if (result.ok) expect(result.value).toEqual(record);
      }
    }
    const candle = batches.find((batch) => batch.kind === "ohlcv")?.records[0] as {
      timeframe: string;
      timestamp: string;
    };
    expect(candle).toMatchObject({ timeframe: "1h", timestamp: "2024-01-01T00:00:00.000Z" });
    expect(batches.find((batch) => batch.kind === "analytics")?.records).toHaveLength(3); // one per tick
  });

  it("puts the checkpoint on the last batch of each group, so it is acknowledged last", async () => {
    const batches = await collect({ count: 4, kinds: ["price", "ohlcv"], batchSize: 4 });
    expect(batches.map((batch) => [batch.kind, batch.checkpoint])).toEqual([
      ["price", undefined],
      ["ohlcv", { next: 4 }],
    ]);
  });

  it("refuses a candle interval that is not a timeframe", () => {
    const parsed = syntheticConfigSchema.safeParse({ kinds: ["ohlcv"], interval: "90s" });
    expect(parsed.success).toBe(false);
    expect(syntheticConfigSchema.safeParse({ interval: "soon" }).success).toBe(false);
  });
});
