/**
 * A broker down for 60 s under a live stream (synthetic → Kafka → TimescaleDB, the ingester
 * in a process of its own as `qicore run` runs it), on a broker of this file's own. Both
 * pipelines wait the outage out: nothing lost, duplicated or dead-lettered, neither exits.
 * How long each takes to move again once the broker is back is measured and printed.
 */
import { existsSync } from "node:fs";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireKcat } from "../../../test/services";
import { kcatConsume } from "../../target-redpanda/test-support/kcat";
import { ScratchKafka } from "../../target-redpanda/test-support/scratch-kafka";
import {
  connectDatabase,
  exactSum,
  expectedPrices,
  landed,
  type StreamOptions,
  secondsUntil,
  startIngester,
  startPublisher,
} from "../test-support/live-stream";
import { waitUntil } from "../test-support/processes";
import { createRedpandaSource } from "./source";

const broker = new ScratchKafka(29320);
const run = Date.now().toString(36);
const OUTAGE_MS = 60_000;

describe("a 60 s broker outage", () => {
  let database: pg.Client;
  const stream: StreamOptions = {
    brokers: broker.brokers,
    topic: `test.outage.${run}.crypto-prices`,
    count: 100_000,
    ratePerSecond: 2500,
    schema: `kafka_outage_${run}`,
    groupId: `test.outage.${run}`,
    seed: 60,
  };

  beforeAll(async () => {
    database = await connectDatabase();
    await broker.start();
  }, 180_000);

  afterAll(async () => {
    await broker.stop();
    await database?.query(`DROP SCHEMA IF EXISTS ${stream.schema} CASCADE`).catch(() => undefined);
    await database?.end();
  }, 120_000);

  it("is waited out by the publishing and the ingesting pipeline: 0 lost, 0 duplicated, 0 dead-lettered, neither exits", async () => {
    const expected = await expectedPrices(stream);
    const publisher = await startPublisher(stream);
    const ingester = startIngester(stream);
    const alive = () =>
      ingester.process.child.exitCode === null && ingester.process.child.signalCode === null;
    const published = () => publisher.metricsSnapshot().recordsOut.kafka ?? 0;
    let recovery = { publisher: 0, ingester: 0 };
    const reasons: string[] = [];
    const withOutput = (thrown: unknown): never => {
      throw new Error(`${(thrown as Error).message}\n${ingester.process.output().slice(-4000)}`);
    };
    try {
      await waitUntil(
        async () => (await landed(database, stream.schema)).rows >= 15_000,
        120_000,
        "the stream to flow",
      );
      await broker.stop();
      const down = Date.now();
      while (Date.now() - down < OUTAGE_MS) {
        const health = publisher.health();
        if (!health.ready) reasons.push(...health.reasons);
        expect(publisher.status).toBe("running");
        expect(alive(), ingester.process.output().slice(-3000)).toBe(true);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      expect(published()).toBeLessThan(stream.count);
      await broker.start();
      const [publisherAt, rowsAt] = [published(), (await landed(database, stream.schema)).rows];
      const measured = await Promise.all([
        secondsUntil(() => published() > publisherAt, 120_000),
        secondsUntil(async () => (await landed(database, stream.schema)).rows > rowsAt, 120_000).catch(
          withOutput,
        ),
      ]);
      recovery = { publisher: measured[0], ingester: measured[1] };
      await waitUntil(
        async () => (await landed(database, stream.schema)).rows >= stream.count,
        240_000,
        "every row",
      ).catch(withOutput);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(alive(), ingester.process.output().slice(-3000)).toBe(true);
      const summary = await publisher.done;
      expect(summary.state, summary.error?.message).toBe("stopped");
      expect(summary.deadLetters).toBe(0);
    } finally {
      ingester.process.child.kill("SIGTERM");
      await publisher.destroy({ timeoutMs: 10_000 });
    }
    const exit = await ingester.process.exited;
    expect(exit.code, ingester.process.output().slice(-3000)).toBe(0);
    console.log(
      `[outage] broker down ${OUTAGE_MS / 1000} s: publisher producing again ${recovery.publisher.toFixed(1)} s and ingester writing rows again ${recovery.ingester.toFixed(1)} s after the broker was back (goal < 10 s)`,
    );

    // Readiness said why while the broker was away.
    expect(reasons.join("\n")).toMatch(/"kafka" write is failing/);
    // The ingester's runtime waited out its reads (it logs each outage it waits out).
    expect(ingester.process.output()).toMatch(/read failed, retrying until it passes/);
    // Every record once in the topic...
    const messages = kcatConsume(requireKcat(), broker.brokers, stream.topic);
    const identities = new Set(
      messages.map((message) => {
        const record = JSON.parse(message.payload ?? "{}") as { instrument: string; lastUpdated: string };
        return `${record.instrument}|${record.lastUpdated}`;
      }),
    );
    expect(messages).toHaveLength(stream.count);
    expect(identities.size).toBe(stream.count);
    // ... and once in the database, with the exact sums; nothing dead-lettered, nothing left to read.
    expect(await landed(database, stream.schema)).toEqual({
      rows: stream.count,
      keys: stream.count,
      sum: exactSum(expected),
    });
    expect(existsSync(ingester.deadLetterFile)).toBe(false);
    const lag = await createRedpandaSource({
      brokers: broker.brokers,
      topics: { price: stream.topic },
      groupId: stream.groupId,
    }).lag();
    expect(lag.total).toBe(0);
    // A generous bound: the goal is under 10 s, the figure is printed above.
    expect(Math.max(recovery.publisher, recovery.ingester)).toBeLessThan(60);
  }, 600_000);
});
