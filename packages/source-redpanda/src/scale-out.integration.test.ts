import { createRedpandaTarget } from "@qicore/target-redpanda";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireKafkaBrokers, requireTimescaleUrl } from "../../../test/services";
import { distinctPrices } from "../test-support/prices";
import {
  type PipelineProcess,
  startPipelineProcess,
  waitUntil,
  writePipelineFile,
} from "../test-support/processes";

const run = Date.now().toString(36);
const CHUNK = 40_000;
const PARTITIONS = 6;

/** The partitions a process reported in its last "partitions assigned" log line. */
function lastAssignment(process: PipelineProcess): string[] | undefined {
  let found: string[] | undefined;
  for (const line of process.output().split("\n")) {
    if (!line.includes('"partitions assigned"')) continue;
    try {
      found = (JSON.parse(line) as { partitions: string[] }).partitions;
    } catch {
      // a line cut short by the kill
    }
  }
  return found;
}

describe("scale-out: two pipeline processes in one consumer group", () => {
  let database: pg.Client;
  const schema = `kafka_scale_${run}`;
  const topic = `test.scale.${run}.crypto-prices`;
  const prices = distinctPrices(3 * CHUNK);
  const target = () =>
    createRedpandaTarget({
      brokers: requireKafkaBrokers(),
      topics: { price: topic },
      partitions: PARTITIONS,
    });

  beforeAll(async () => {
    database = new pg.Client({ connectionString: requireTimescaleUrl() });
    await database.connect();
  });

  afterAll(async () => {
    await database?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await database?.end();
  });

  const rows = async (): Promise<number> => {
    try {
      return (await database.query(`SELECT count(*)::int AS n FROM ${schema}.crypto_prices`)).rows[0]
        .n as number;
    } catch {
      return 0;
    }
  };

  it("split the partitions, and when one is killed the other takes over with nothing lost", async () => {
    const producer = target();
    expect(await producer.write("price", prices.slice(0, CHUNK))).toEqual({});
    const file = writePipelineFile({
      name: "kafka-scale-out",
      sources: [
        {
          id: "kafka",
          type: "redpanda",
          config: {
            brokers: requireKafkaBrokers(),
            topics: { price: topic },
            groupId: `test.scale.${run}`,
            sessionTimeoutMs: 6000,
            heartbeatIntervalMs: 500,
          },
        },
      ],
      targets: [{ id: "db", type: "timescale", config: { connectionString: requireTimescaleUrl(), schema } }],
      delivery: { batch: { maxRecords: 2000, maxWait: "50ms" } },
      logging: { level: "info", format: "json" },
    });
    const first = startPipelineProcess(file);
    const second = startPipelineProcess(file);
    try {
      // Both members hold partitions, none twice, all six between them.
      await waitUntil(
        () => {
          const a = lastAssignment(first) ?? [];
          const b = lastAssignment(second) ?? [];
          return a.length > 0 && b.length > 0 && a.length + b.length === PARTITIONS;
        },
        90_000,
        "both processes to hold partitions",
        100,
      );
      const a = lastAssignment(first) ?? [];
      const b = lastAssignment(second) ?? [];
      expect(new Set([...a, ...b]).size).toBe(PARTITIONS);

      expect(await producer.write("price", prices.slice(CHUNK, 2 * CHUNK))).toEqual({});
      await waitUntil(async () => (await rows()) >= 1.2 * CHUNK, 90_000, "rows from both members");

      first.child.kill("SIGKILL");
      await first.exited;
      // The survivor gets every partition once the group notices the dead member (session timeout).
      await waitUntil(
        () => (lastAssignment(second) ?? []).length === PARTITIONS,
        60_000,
        "the survivor to take over",
      );
      expect(await producer.write("price", prices.slice(2 * CHUNK))).toEqual({});
      await producer.disconnect();
      await waitUntil(async () => (await rows()) >= prices.length, 120_000, "every row");
      await new Promise((resolve) => setTimeout(resolve, 1000));
    } finally {
      first.child.kill("SIGKILL");
      second.child.kill("SIGTERM");
      await second.exited;
    }
    const result = await database.query(
      `SELECT count(*)::int AS n, count(DISTINCT (coin_id, last_updated))::int AS keys FROM ${schema}.crypto_prices`,
    );
    expect(result.rows[0]).toEqual({ n: prices.length, keys: prices.length });
  }, 400_000);
});
