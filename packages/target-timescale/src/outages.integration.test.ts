/**
 * TimescaleDB outages in the middle of an ingest are waited out: restarted, paused (SIGSTOP)
 * for 20 s, down for 60 s. For each: every valid record lands exactly once (count, distinct
 * keys and the exact sum equal those of a reference target fed by the same pipeline), none is
 * dead-lettered, the pipeline never exits, and the time from the database being back to the
 * writes flowing again is measured and printed.
 *
 * A scratch TimescaleDB of its own (scripts/services.sh scratch) takes the outages, so the
 * shared one other tests use is never touched.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createRegistry, memoryStore, Pipeline, type PipelineHealth, silentLogger } from "@qicore/core";
import { MemoryStateStore } from "@qicore/core/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireTimescaleUrl } from "../../../test/services";
import { timescaleTarget } from "./target";

const PORT = 25433;
const url = `postgres://postgres@127.0.0.1:${PORT}/postgres`;
const servicesScript = fileURLToPath(new URL("../../../scripts/services.sh", import.meta.url));
const COINS = ["bitcoin", "ethereum", "solana", "cardano", "ripple"];

function scratch(action: "start" | "stop" | "kill" | "pause" | "resume"): void {
  try {
    execFileSync("bash", [servicesScript, "scratch", "timescale", String(PORT), action], { stdio: "pipe" });
  } catch (thrown) {
    const stderr = String((thrown as { stderr?: Buffer }).stderr ?? "");
    throw new Error(`services.sh scratch timescale ${PORT} ${action} failed: ${stderr}`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sum of decimal strings with at most 8 fractional digits, exactly. */
function exactSum(values: readonly string[]): string {
  let total = 0n;
  for (const value of values) {
    const [whole = "0", fraction = ""] = value.split(".");
    total += BigInt(whole) * 100_000_000n + BigInt(fraction.padEnd(8, "0"));
  }
  return `${total / 100_000_000n}.${(total % 100_000_000n).toString().padStart(8, "0")}`;
}

beforeAll(() => {
  requireTimescaleUrl(); // the shared services (and so the TimescaleDB binaries) are up
  scratch("start");
}, 120_000);

afterAll(() => {
  for (const action of ["resume", "stop"] as const) {
    try {
      scratch(action);
    } catch {
      // not paused / already stopped
    }
  }
}, 120_000);

interface Ingest {
  pipeline: Pipeline;
  schema: string;
  store: string;
  count: number;
}

let runs = 0;

async function startIngest(count: number, ratePerSecond: number): Promise<Ingest> {
  runs++;
  const schema = `outage_${process.pid}_${runs}`;
  const store = `timescale-outage-${process.pid}-${runs}`;
  const loaded = await Pipeline.fromConfig(
    {
      name: `timescale-outage-${runs}`,
      sources: [
        {
          id: "gen",
          type: "synthetic",
          config: { coins: COINS, count, ratePerSecond, batchSize: 1_000, seed: runs },
        },
      ],
      targets: [
        { id: "db", type: "timescale", config: { connectionString: url, schema } },
        { id: "ref", type: "memory", config: { store } },
      ],
      // The defaults of delivery.retry: what a user gets.
      delivery: { maxInFlightRecords: 20_000 },
    },
    { registry: createRegistry(timescaleTarget), logger: silentLogger, stateStore: new MemoryStateStore() },
  );
  if (!loaded.ok) throw loaded.error;
  const started = await loaded.value.start();
  if (!started.ok) throw started.error;
  return { pipeline: loaded.value, schema, store, count };
}

/** Waits until the database has taken writes again after `backAt`, and returns how long that took. */
async function recoveryMs(ingest: Ingest, backAt: number): Promise<number> {
  const writtenBefore = ingest.pipeline.metricsSnapshot().recordsOut.db ?? 0;
  for (;;) {
    const written = ingest.pipeline.metricsSnapshot().recordsOut.db ?? 0;
    if (ingest.pipeline.outages.current().length === 0 && written > writtenBefore) return Date.now() - backAt;
    if (ingest.pipeline.status !== "running") return Date.now() - backAt;
    await sleep(25);
  }
}

/** Waits for the run to end and checks that the database holds exactly what the reference target holds. */
async function expectEverythingOnce(ingest: Ingest): Promise<void> {
  const summary = await ingest.pipeline.done;
  expect(summary.error?.message).toBeUndefined();
  expect(summary).toMatchObject({ state: "stopped", deadLetters: 0, recordsIn: ingest.count });
  const reference = memoryStore(ingest.store).list("price") as { usdPrice: string }[];
  expect(reference).toHaveLength(ingest.count);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const stored = await client.query<{ rows: number; keys: number; total: string }>(
      `SELECT count(*)::int AS rows, count(DISTINCT (coin_id, exchange_id, last_updated))::int AS keys,
         sum(usd_price)::text AS total FROM "${ingest.schema}".crypto_prices`,
    );
    expect(stored.rows[0]).toEqual({
      rows: ingest.count,
      keys: ingest.count,
      total: exactSum(reference.map((record) => record.usdPrice)),
    });
  } finally {
    await client.end();
  }
  await ingest.pipeline.destroy();
}

const notReadyReason = (health: PipelineHealth) =>
  health.reasons.find((reason) => reason.startsWith('"db" write'));

describe("TimescaleDB outages during an ingest", () => {
  it("a restart: nothing lost, duplicated or dead-lettered", async () => {
    const ingest = await startIngest(220_000, 25_000);
    await sleep(3_000);
    scratch("stop");
    const backAt = Date.now();
    scratch("start");
    const recovery = await recoveryMs(ingest, backAt);
    console.log(`[outage] TimescaleDB restart: writes flowing again ${recovery} ms after it was back`);
    await expectEverythingOnce(ingest);
  }, 180_000);

  it("paused with SIGSTOP for 20 s: sources pause at the in-flight bound, nothing lost", async () => {
    const ingest = await startIngest(220_000, 10_000);
    await sleep(3_000);
    scratch("pause");
    await sleep(5_000);
    const readAfter5s = ingest.pipeline.metricsSnapshot();
    await sleep(10_000);
    const readAfter15s = ingest.pipeline.metricsSnapshot();
    const rssMb = Math.round(process.memoryUsage().rss / 1_048_576);
    scratch("resume");
    const backAt = Date.now();
    // Backpressure: the queue stayed within maxInFlightRecords, so the source stopped reading.
    expect(readAfter15s.queueDepth).toBeLessThanOrEqual(20_000);
    expect(readAfter15s.recordsIn.gen).toBe(readAfter5s.recordsIn.gen);
    expect(readAfter15s.recordsIn.gen ?? 0).toBeLessThan(220_000);
    const recovery = await recoveryMs(ingest, backAt);
    console.log(
      `[outage] TimescaleDB paused 20 s: queue ${readAfter15s.queueDepth} records (bound 20,000), RSS ${rssMb} MiB; writes flowing again ${recovery} ms after resume`,
    );
    await expectEverythingOnce(ingest);
  }, 180_000);

  it("down for 60 s: not ready with the reason meanwhile, nothing lost, the run goes on", async () => {
    const ingest = await startIngest(220_000, 10_000);
    await sleep(3_000);
    scratch("stop");
    await expect
      .poll(() => notReadyReason(ingest.pipeline.health()), { timeout: 30_000, interval: 200 })
      .toMatch(/"db" write is failing for \d+ s \(\d+ attempts\), retrying: timescale: .*connection problem/);
    await sleep(60_000);
    expect(ingest.pipeline.status).toBe("running");
    expect(ingest.pipeline.health().ready).toBe(false);
    const backAt = Date.now();
    scratch("start");
    const recovery = await recoveryMs(ingest, backAt);
    console.log(`[outage] TimescaleDB down 60 s: writes flowing again ${recovery} ms after it was back`);
    expect(ingest.pipeline.metricsSnapshot().retries.db ?? 0).toBeGreaterThan(5);
    await expectEverythingOnce(ingest);
    expect(ingest.pipeline.metricsSnapshot().outageSeconds.db ?? 0).toBeGreaterThanOrEqual(60);
  }, 240_000);
});
