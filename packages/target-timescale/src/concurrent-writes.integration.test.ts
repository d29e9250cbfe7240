import {
  ADAPTER_CONTRACT_VERSION,
  type Checkpoint,
  type CryptoPrice,
  createRegistry,
  defineSource,
  defineTarget,
  MemoryStateStore,
  Pipeline,
  type SourceBatch,
  silentLogger,
  type TargetDefinition,
} from "@qicore/core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { requireTimescaleUrl } from "../../../test/services";
import { priceRecords } from "../test-support/records";
import { createScratchDatabase } from "../test-support/services";
import { createTimescaleTarget, timescaleTarget } from "./target";

/**
 * Several writes in flight per target (writeConcurrency), on a real TimescaleDB: the runtime
 * never runs two writes sharing a primary key at once, so a key's revisions land in read
 * order, and a source's checkpoint is acknowledged only once every write of its batch, and of
 * the batches before it, has landed.
 */

interface Script {
  batches: SourceBatch[];
  commits: Checkpoint[];
}
const scripts = new Map<string, Script>();

/** Yields its script's batches, then waits for the stop (a live source, not one that ran out). */
const scriptedSource = defineSource({
  name: "scripted-prices",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema: z.object({ script: z.string() }),
  capabilities: { kinds: ["price"], ack: true },
  create: ({ script }) => {
    const entry = scripts.get(script) as Script;
    return {
      async *read({ signal }) {
        for (const batch of entry.batches) yield batch;
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      },
      async commit(checkpoint) {
        entry.commits.push(checkpoint);
      },
    };
  },
});

interface Counts {
  inFlight: number;
  most: number;
  writes: number;
  finished: number;
}

/**
 * The timescale target, counting how many of its writes run at the same time; a write with a
 * record that `slow` picks waits first, until 40 other writes have finished or 3 s have passed.
 */
function countingTarget(
  counts: Counts,
  slow: (record: CryptoPrice) => boolean = () => false,
): TargetDefinition {
  return defineTarget({
    ...timescaleTarget,
    name: "counting-timescale",
    async create(config, context) {
      const handlers = await timescaleTarget.create(config, context);
      return {
        ...handlers,
        write: async (kind, records) => {
          counts.inFlight++;
          counts.writes++;
          counts.most = Math.max(counts.most, counts.inFlight);
          try {
            if ((records as readonly CryptoPrice[]).some(slow))
              await until(() => counts.finished >= 40, 3000).catch(() => undefined);
            return await handlers.write(kind, records);
          } finally {
            counts.inFlight--;
            counts.finished++;
          }
        },
      };
    },
  }) as TargetDefinition;
}

async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("several writes in flight to TimescaleDB", () => {
  const url = requireTimescaleUrl();
  let database: { url: string; drop: () => Promise<void> };
  let client: pg.Client;
  beforeAll(async () => {
    database = await createScratchDatabase(url, "concurrent");
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  const start = async (
    name: string,
    script: Script,
    schema: string,
    batch: object,
    slow?: (record: CryptoPrice) => boolean,
  ) => {
    scripts.set(name, script);
    const counts: Counts = { inFlight: 0, most: 0, writes: 0, finished: 0 };
    const loaded = await Pipeline.fromConfig(
      {
        name,
        sources: [{ id: "src", type: "scripted-prices", config: { script: name } }],
        targets: [
          {
            id: "db",
            type: "counting-timescale",
            config: { connectionString: database.url, schema, writeConcurrency: 3 },
          },
        ],
        delivery: { batch },
      },
      {
        registry: createRegistry(scriptedSource, countingTarget(counts, slow)),
        logger: silentLogger,
        stateStore: new MemoryStateStore(),
      },
    );
    if (!loaded.ok) throw loaded.error;
    const started = await loaded.value.start();
    if (!started.ok) throw started.error;
    return { pipeline: loaded.value, counts };
  };

  it("keeps each key's revisions in read order with three writes in flight (last write wins)", async () => {
    // 12 revisions of the same 601 keys, one source batch each, written 150 records at a time;
    // the write with the first key's first revision is held back, so later ones overtake it.
    const revisions = 12;
    const batches = Array.from({ length: revisions }, (_, revision) => ({
      kind: "price" as const,
      records: priceRecords(601, { coins: 20, variant: revision }).map((price) => ({
        ...price,
        attribution: `revision ${revision}`,
      })),
      checkpoint: { next: revision + 1 },
    }));
    const first = batches[0]?.records[0] as CryptoPrice;
    const script: Script = { batches, commits: [] };
    const { pipeline, counts } = await start(
      "order",
      script,
      "lanes_order",
      { maxRecords: 150, maxWait: "1ms" },
      (price) =>
        price.attribution === "revision 0" &&
        price.instrument === first.instrument &&
        price.lastUpdated === first.lastUpdated,
    );
    await until(() =>
      script.commits.some((checkpoint) => (checkpoint as { next: number }).next === revisions),
    );
    const summary = await pipeline.stop();
    expect(summary.error).toBeUndefined();

    expect(counts.most).toBeGreaterThan(1);
    const last = batches.at(-1)?.records as CryptoPrice[];
    const rows = await client.query<{
      instrument: string;
      last_updated: Date;
      usd_price: string;
      attribution: string;
    }>("SELECT instrument, last_updated, usd_price::text, attribution FROM lanes_order.crypto_prices");
    expect(rows.rows.length).toBe(601);
    const stored = new Map(
      rows.rows.map((row) => [`${row.instrument}|${row.last_updated.toISOString()}`, row]),
    );
    const stale = last.filter((price) => {
      const row = stored.get(`${price.instrument}|${price.lastUpdated}`);
      return row?.usd_price !== price.usdPrice || row.attribution !== `revision ${revisions - 1}`;
    });
    expect(stale).toEqual([]);
    // Acknowledged in read order, ending with the last batch.
    const commits = script.commits.map((checkpoint) => (checkpoint as { next: number }).next);
    expect(commits).toEqual([...commits].sort((a, b) => a - b));
    expect(commits.at(-1)).toBe(revisions);
  }, 120_000);

  it("acknowledges a checkpoint only after every write of its batch, and of the batches before it, has landed", async () => {
    const schema = "lanes_ack";
    // Source batch 1 (300 records) goes out as two writes of 150; the first holds a key whose
    // row another session has locked, so that write waits while the second, and the write of
    // source batch 2, land.
    const records = priceRecords(450, { coins: 30 });
    const held = records[0] as CryptoPrice;
    const seeding = createTimescaleTarget({ connectionString: database.url, schema });
    await seeding.write("price", [{ ...held, usdPrice: "1.5" }]);
    await seeding.disconnect();
    const locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
    try {
      await locker.query("BEGIN");
      await locker.query(
        `SELECT 1 FROM ${schema}.crypto_prices WHERE instrument = $1 AND last_updated = $2 FOR UPDATE`,
        [held.instrument, held.lastUpdated],
      );
      const script: Script = {
        batches: [
          { kind: "price", records: records.slice(0, 300), checkpoint: { next: 1 } },
          { kind: "price", records: records.slice(300), checkpoint: { next: 2 } },
        ],
        commits: [],
      };
      const { pipeline, counts } = await start("ack", script, schema, { maxRecords: 150, maxWait: "1ms" });
      const count = async () =>
        Number(
          (await client.query(`SELECT count(*)::int AS n FROM ${schema}.crypto_prices`)).rows[0]?.n ?? 0,
        );
      // The seeded row, the second half of batch 1 and all of batch 2: the held write alone waits.
      await until(async () => (await count()) === 1 + 150 + 150);
      expect(counts.inFlight).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(script.commits).toEqual([]);

      await locker.query("ROLLBACK");
      await until(() => script.commits.some((checkpoint) => (checkpoint as { next: number }).next === 2));
      expect(await count()).toBe(450);
      const summary = await pipeline.stop();
      expect(summary.error).toBeUndefined();
    } finally {
      await locker.query("ROLLBACK").catch(() => undefined);
      await locker.end();
    }
  }, 120_000);
});
