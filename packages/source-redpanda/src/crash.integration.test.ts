import type { CryptoPrice } from "@qicore/core";
import { createRedpandaTarget } from "@qicore/target-redpanda";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireKafkaBrokers, requireTimescaleUrl } from "../../../test/services";
import { distinctPrices } from "../test-support/prices";
import { startPipelineProcess, waitUntil, writePipelineFile } from "../test-support/processes";
import { createRedpandaSource } from "./source";

const TOTAL = 200_000;
const run = Date.now().toString(36);

/** A decimal string scaled by 10^8 as an exact integer (the price column's scale). */
function scaled(decimal: string): bigint {
  const [whole = "0", fraction = ""] = decimal.split(".");
  const negative = whole.startsWith("-");
  const value = BigInt(whole.replace("-", "")) * 100_000_000n + BigInt(`${fraction}00000000`.slice(0, 8));
  return negative ? -value : value;
}

describe("crash test: Kafka → TimescaleDB with the pipeline process killed", () => {
  let database: pg.Client;
  const schema = `kafka_crash_${run}`;
  const topic = `test.crash.${run}.crypto-prices`;
  const groupId = `test.crash.${run}`;
  let prices: CryptoPrice[] = [];

  beforeAll(async () => {
    database = new pg.Client({ connectionString: requireTimescaleUrl() });
    await database.connect();
    prices = distinctPrices(TOTAL);
    const keys = new Set(prices.map((price) => `${price.coinId}|${price.exchangeId}|${price.lastUpdated}`));
    expect(keys.size).toBe(TOTAL);
    const target = createRedpandaTarget({
      brokers: requireKafkaBrokers(),
      topics: { price: topic },
      partitions: 6,
    });
    expect(await target.write("price", prices)).toEqual({});
    await target.disconnect();
  }, 300_000);

  afterAll(async () => {
    await database?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await database?.end();
  });

  const rows = async (): Promise<number> => {
    try {
      const result = await database.query(`SELECT count(*)::int AS n FROM ${schema}.crypto_prices`);
      return result.rows[0].n as number;
    } catch {
      return 0; // the table appears when the first process has migrated
    }
  };

  it(`delivers ${TOTAL.toLocaleString("en")} messages exactly once through three SIGKILLs and restarts`, async () => {
    const file = writePipelineFile({
      name: "kafka-crash",
      sources: [
        {
          id: "kafka",
          type: "redpanda",
          config: { brokers: requireKafkaBrokers(), topics: { price: topic }, groupId },
        },
      ],
      targets: [{ id: "db", type: "timescale", config: { connectionString: requireTimescaleUrl(), schema } }],
      delivery: { batch: { maxRecords: 5000, maxWait: "50ms" } },
      logging: { level: "info", format: "json" },
    });
    const kills: { at: number; signal: string | null }[] = [];
    for (const fraction of [0.15, 0.45, 0.75]) {
      const before = await rows();
      const process = startPipelineProcess(file);
      await waitUntil(
        async () => (await rows()) >= TOTAL * fraction,
        120_000,
        `${fraction * 100}% of the rows`,
      );
      process.child.kill("SIGKILL");
      const exit = await process.exited;
      const at = await rows();
      kills.push({ at, signal: exit.signal });
      // Each run made progress, and the kill came before the end.
      expect(at).toBeGreaterThan(before);
      expect(at, process.output().slice(-2000)).toBeLessThan(TOTAL);
    }
    expect(kills.map((kill) => kill.signal)).toEqual(["SIGKILL", "SIGKILL", "SIGKILL"]);

    const last = startPipelineProcess(file);
    await waitUntil(async () => (await rows()) >= TOTAL, 180_000, "every row");
    // Let it settle: a replayed batch must not add rows.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    last.child.kill("SIGTERM");
    const exit = await last.exited;
    expect(exit.code, last.output().slice(-2000)).toBe(0);

    const result = await database.query(
      `SELECT count(*)::int AS n, count(DISTINCT (coin_id, exchange_id, last_updated))::int AS keys,
              sum(usd_price)::text AS total FROM ${schema}.crypto_prices`,
    );
    const { n, keys, total } = result.rows[0] as { n: number; keys: number; total: string };
    expect(n).toBe(TOTAL);
    expect(keys).toBe(TOTAL);
    expect(scaled(total)).toBe(prices.reduce((sum, price) => sum + scaled(price.usdPrice), 0n));
    // After the graceful stop the group has committed everything.
    const lag = await createRedpandaSource({
      brokers: requireKafkaBrokers(),
      topics: { price: topic },
      groupId,
    }).lag();
    expect(lag.total).toBe(0);
  }, 600_000);
});
