import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { type CryptoPrice, Target } from "@qicore/core";
import { createMemoryLogger } from "@qicore/core/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTimescaleTarget, type TimescaleTarget, timescaleTarget } from "../src/index";
import { priceRecords } from "./records";

/**
 * Terminates every backend of `applicationName` from another process, while this one's event
 * loop waits: the server's "terminating connection" messages are then already on the sockets,
 * unread, when the caller goes on (so it can start closing before they are handled).
 */
function terminateFromOutside(url: string, applicationName: string): void {
  const script = `
    const pg = require(process.env.PG_MODULE);
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    client.connect()
      .then(() => client.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [process.env.APPLICATION]))
      .then((result) => { if (result.rowCount === 0) throw new Error("no backend of " + process.env.APPLICATION); return client.end(); })
      .catch((error) => { console.error(error.message); process.exit(1); });`;
  execFileSync(process.execPath, ["-e", script], {
    env: {
      ...process.env,
      PG_MODULE: createRequire(import.meta.url).resolve("pg"),
      DATABASE_URL: url,
      APPLICATION: applicationName,
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  // The backends write their last message as they exit, just after the signal.
  const until = Date.now() + 300;
  while (Date.now() < until);
}

/** Sum of decimal strings with 8 fractional digits at most, exactly, as text. */
function exactSum(values: readonly string[]): string {
  let total = 0n;
  for (const value of values) {
    const [whole = "0", fraction = ""] = value.split(".");
    total += BigInt(whole) * 100_000_000n + BigInt(fraction.padEnd(8, "0"));
  }
  const fraction = (total % 100_000_000n).toString().padStart(8, "0");
  return `${total / 100_000_000n}.${fraction}`;
}

/**
 * Kills the writer's connection with pg_terminate_backend while a write is in flight
 * (on the COPY path and on the upsert path) and checks that the rows that land are
 * exactly the rows written: same count, same exact sum. The adapter throws the lost
 * connection as retryable once; the core's Target (what a pipeline and `pipeline.target(id)`
 * use) is the one that retries.
 */
export function describeConnectionLoss(
  label: string,
  open: () => Promise<{ url: string; cleanup(): Promise<void> }>,
) {
  describe(`timescale target on ${label} when the writer's connection is killed mid-batch`, () => {
    let url: string;
    let cleanup: () => Promise<void> = async () => {};
    let admin: pg.Client;
    const targets: TimescaleTarget[] = [];

    beforeAll(async () => {
      ({ url, cleanup } = await open());
      admin = new pg.Client({ connectionString: url });
      await admin.connect();
    });
    afterAll(async () => {
      for (const target of targets) await target.disconnect();
      await admin?.end();
      await cleanup();
    });

    /**
     * Terminates the first backend of `applicationName` running a statement that starts
     * with `statement`, while `pending()` says the write is still going.
     */
    async function terminateWhenBusy(
      applicationName: string,
      statement: string,
      pending: () => boolean,
    ): Promise<number> {
      while (pending()) {
        const result = await admin.query<{ pid: number; terminated: boolean }>(
          `SELECT pid, pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
           WHERE application_name = $1 AND state = 'active' AND query ILIKE $2 LIMIT 1`,
          [applicationName, `${statement}%`],
        );
        const row = result.rows[0];
        if (row?.terminated) return row.pid;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      throw new Error(`the write finished before a ${statement} of ${applicationName} was caught running`);
    }

    for (const path of ["copy", "upsert"] as const) {
      it(`loses and duplicates nothing on the ${path} path`, async () => {
        const applicationName = `qicore-kill-${path}`;
        const schema = `kill_${path}`;
        const logger = createMemoryLogger();
        const target = createTimescaleTarget({
          connectionString: url,
          schema,
          applicationName,
          logger,
          bulkThreshold: path === "copy" ? 1_000 : 1_000_000,
          copyBatchSize: 10_000,
          batchSize: 2_000,
        });
        targets.push(target);
        await target.connect();
        const wrapped = new Target(
          timescaleTarget,
          target,
          {
            id: "db",
            pipelineName: "kill",
            logger,
            baseDir: process.cwd(),
            signal: new AbortController().signal,
          },
          { retry: { maxAttempts: 6, initialDelayMs: 20, maxDelayMs: 200 } },
        );
        const records: CryptoPrice[] = priceRecords(200_000);
        let pending = true;
        const writing = wrapped.write("price", records).finally(() => {
          pending = false;
        });
        // Caught running a COPY or an INSERT: the write took the path under test.
        const killed = terminateWhenBusy(applicationName, path === "copy" ? "COPY" : "INSERT", () => pending);
        const [result, pid] = await Promise.all([writing, killed]);
        expect(pid).toBeGreaterThan(0);
        expect(result.ok && result.value.failed).toEqual([]);
        // The lost connection was retried once, by the core's loop, on a new connection.
        const retries = logger.lines.filter(
          (line) => line.level === "warn" && line.message === "write failed, retrying",
        );
        expect(retries.length).toBeGreaterThanOrEqual(1);
        expect(String(retries[0]?.fields.error)).toMatch(/connection problem, may succeed later/);
        const stored = await admin.query<{ rows: number; total: string; keys: number }>(
          `SELECT count(*)::int AS rows, sum(usd_price)::text AS total,
             count(DISTINCT (coin_id, exchange_id, last_updated))::int AS keys
           FROM "${schema}".crypto_prices`,
        );
        expect(stored.rows[0]).toEqual({
          rows: 200_000,
          keys: 200_000,
          total: exactSum(records.map((record) => record.usdPrice)),
        });
      }, 180_000);
    }

    it("stops cleanly when the server closes its connections while it disconnects", async () => {
      const applicationName = "qicore-kill-closing";
      const logger = createMemoryLogger();
      const target = createTimescaleTarget({
        connectionString: url,
        schema: "kill_closing",
        applicationName,
        logger,
      });
      // Two writes at once leave two connections idle in the pool.
      const written = await Promise.all([
        target.writeRecords("price", priceRecords(2_000)),
        target.writeRecords("price", priceRecords(2_000, { offset: 2_000 })),
      ]);
      expect(written.map((result) => result.failures)).toEqual([[], []]);
      terminateFromOutside(url, applicationName);
      // Closing starts before the server's messages are read: they reach a pool that is ending,
      // where an "error" without a listener would end the process.
      await target.disconnect();
      await expect
        .poll(
          () =>
            logger.lines.filter(
              (line) =>
                line.level === "debug" && /closed by the server while the pool closed/.test(line.message),
            ).length,
        )
        .toBeGreaterThan(0);
      expect(logger.lines.filter((line) => line.level === "warn" || line.level === "error")).toEqual([]);
    });

    it("opens new connections when idle pooled ones are killed between writes", async () => {
      const applicationName = "qicore-kill-idle";
      const logger = createMemoryLogger();
      const target = createTimescaleTarget({
        connectionString: url,
        schema: "kill_idle",
        applicationName,
        logger,
      });
      targets.push(target);
      expect((await target.writeRecords("price", priceRecords(3_000))).failures).toEqual([]);
      const killed = await admin.query<{ terminated: boolean }>(
        "SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE application_name = $1",
        [applicationName],
      );
      expect(killed.rows.length).toBeGreaterThan(0);
      // The pool notices the closed idle connections (without taking the process down) ...
      await expect
        .poll(() => logger.lines.some((line) => /idle database connection was closed/.test(line.message)))
        .toBe(true);
      // ... and the next writes go through on new ones.
      expect((await target.writeRecords("price", priceRecords(3_000, { offset: 3_000 }))).failures).toEqual(
        [],
      );
      const stored = await admin.query<{ rows: number }>(
        `SELECT count(*)::int AS rows FROM kill_idle.crypto_prices`,
      );
      expect(stored.rows[0]?.rows).toBe(6_000);
    });
  });
}
