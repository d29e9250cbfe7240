import { Pipeline } from "@qicore/core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../src/index";

/**
 * The target inside the runtime: a synthetic source into the `timescale` target, with the
 * checkpoints in the target's own qicore_state table. A second run resumes where the first
 * stopped; a longer third run adds only the new records.
 */
export function describePipelineRun(
  label: string,
  open: () => Promise<{ url: string; cleanup(): Promise<void> }>,
) {
  describe(`a pipeline writing to the timescale target on ${label}`, () => {
    let url: string;
    let cleanup: () => Promise<void> = async () => {};
    beforeAll(async () => {
      ({ url, cleanup } = await open());
    });
    afterAll(() => cleanup());

    const run = async (count: number) => {
      const loaded = await Pipeline.fromConfig({
        name: "prices-to-db",
        sources: [
          {
            id: "gen",
            type: "synthetic",
            config: { coins: ["bitcoin", "ethereum", "solana"], count, seed: 3, batchSize: 2_000 },
          },
        ],
        targets: [{ id: "db", type: "timescale", config: { connectionString: url, schema: "pipeline" } }],
        delivery: { batch: { maxRecords: 6_000, maxWait: "50ms" } },
        state: { store: "target", target: "db" },
      });
      if (!loaded.ok) throw loaded.error;
      const summary = await loaded.value.run();
      expect(summary.error).toBeUndefined();
      return summary;
    };
    const stored = async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const prices = await client.query("SELECT count(*)::int AS count FROM pipeline.crypto_prices");
        const state = await client.query("SELECT checkpoint FROM pipeline.qicore_state WHERE pipeline = $1", [
          "prices-to-db",
        ]);
        return {
          prices: Number(prices.rows[0]?.count),
          checkpoints: state.rows.map((row) => row.checkpoint),
        };
      } finally {
        await client.end();
      }
    };

    it("writes every record once, and resumes from the checkpoint it keeps in qicore_state", async () => {
      const first = await run(10_000);
      expect(first.recordsOut.db).toBe(10_000);
      expect(await stored()).toEqual({ prices: 10_000, checkpoints: [{ next: 10_000 }] });
      const again = await run(10_000);
      expect(again.recordsOut.db ?? 0).toBe(0);
      const longer = await run(12_000);
      expect(longer.recordsOut.db).toBe(2_000);
      expect(await stored()).toEqual({ prices: 12_000, checkpoints: [{ next: 12_000 }] });
    }, 120_000);
  });
}
