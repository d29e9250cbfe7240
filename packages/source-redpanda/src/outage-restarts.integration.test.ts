/**
 * The consuming side through broker restarts, on a broker of this file's own (the shared one
 * must not restart under the other tests):
 * - a live stream (synthetic → Kafka → TimescaleDB, the ingester in a process of its own as
 *   `qicore run` runs it) with the broker restarted twice mid-ingest;
 * - an ingesting pipeline held back by a slow target, so the consumer is paused by
 *   backpressure, when the broker restarts.
 * Nothing may be lost or dead-lettered, the pipelines never exit, and the group's offsets
 * end at the log end (lag 0).
 */
import { existsSync } from "node:fs";
import { createRegistry, memoryStore, memoryTarget, Pipeline } from "@qicore/core";
import { createMemoryLogger, MemoryStateStore } from "@qicore/core/testing";
import { createRedpandaTarget } from "@qicore/target-redpanda";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
import { distinctPrices } from "../test-support/prices";
import { waitUntil } from "../test-support/processes";
import { createRedpandaSource, type RedpandaSource, redpandaSource } from "./source";

const broker = new ScratchKafka(29310);
const run = Date.now().toString(36);

describe("source-redpanda through broker restarts", () => {
  let database: pg.Client;
  const schemas: string[] = [];

  beforeAll(async () => {
    database = await connectDatabase();
    await broker.start();
  }, 180_000);

  afterAll(async () => {
    await broker.stop();
    for (const schema of schemas)
      await database?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await database?.end();
  }, 120_000);

  it("Kafka → TimescaleDB, 220,000 records, broker restarted twice mid-ingest (graceful, then SIGKILL): every row once, exact sums, lag 0, no dead letters", async () => {
    const stream: StreamOptions = {
      brokers: broker.brokers,
      topic: `test.restarts.${run}.crypto-prices`,
      count: 220_000,
      ratePerSecond: 4000,
      schema: `kafka_restarts_${run}`,
      groupId: `test.restarts.${run}`,
      seed: 21,
    };
    schemas.push(stream.schema);
    const expected = await expectedPrices(stream);
    expect(expected).toHaveLength(stream.count);
    const publisher = await startPublisher(stream);
    const ingester = startIngester(stream);
    const alive = () =>
      ingester.process.child.exitCode === null && ingester.process.child.signalCode === null;
    const recoveries: number[] = [];
    const withOutput = (thrown: unknown): never => {
      throw new Error(`${(thrown as Error).message}\n${ingester.process.output().slice(-4000)}`);
    };
    try {
      for (const [fraction, how] of [
        [0.2, "stop"],
        [0.5, "kill"],
      ] as const) {
        await waitUntil(
          async () => (await landed(database, stream.schema)).rows >= stream.count * fraction,
          180_000,
          `${fraction * 100}% of the rows`,
        );
        // Mid-ingest: rows are still missing and the publisher is still sending more.
        expect((await landed(database, stream.schema)).rows).toBeLessThan(stream.count);
        expect(publisher.metricsSnapshot().recordsOut.kafka ?? 0).toBeLessThan(stream.count);
        await (how === "stop" ? broker.stop() : broker.kill());
        await broker.start();
        const atStart = (await landed(database, stream.schema)).rows;
        recoveries.push(
          await secondsUntil(
            async () => (await landed(database, stream.schema)).rows > atStart,
            120_000,
          ).catch(withOutput),
        );
        expect(alive(), ingester.process.output().slice(-3000)).toBe(true);
      }
      await waitUntil(
        async () => (await landed(database, stream.schema)).rows >= stream.count,
        240_000,
        "every row",
      ).catch(withOutput);
      // A replayed batch must not add rows.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(alive(), ingester.process.output().slice(-3000)).toBe(true);
      const published = await publisher.done;
      expect(published.state, published.error?.message).toBe("stopped");
      expect(published.deadLetters).toBe(0);
    } finally {
      ingester.process.child.kill("SIGTERM");
      await publisher.destroy({ timeoutMs: 10_000 });
    }
    const exit = await ingester.process.exited;
    expect(exit.code, ingester.process.output().slice(-3000)).toBe(0);
    console.log(
      `[outage] Kafka → TimescaleDB: rows moving again ${recoveries.map((seconds) => `${seconds.toFixed(1)} s`).join(" and ")} after each broker restart`,
    );

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
    expect(lag.partitions).toHaveLength(6);
    expect(lag.total).toBe(0);
  }, 600_000);

  it("rides through a broker restart while the consumer is paused by backpressure: the run goes on, every record lands once, lag 0", async () => {
    const topic = `test.backpressure.${run}.crypto-prices`;
    const groupId = `test.backpressure.${run}`;
    const store = `backpressure-${run}`;
    const prices = distinctPrices(100_000);
    const producer = createRedpandaTarget({
      brokers: broker.brokers,
      topics: { price: topic },
      partitions: 6,
    });
    expect(await producer.write("price", prices)).toEqual({});
    await producer.disconnect();

    const loaded = await Pipeline.fromConfig(
      {
        name: "backpressure",
        sources: [
          {
            id: "kafka",
            type: "redpanda",
            config: { brokers: broker.brokers, topics: { price: topic }, groupId, maxBufferedRecords: 5000 },
          },
        ],
        // A slow target, about 2,000 records a second, with more held in the pipeline (20,000)
        // and the consumer's buffer (5,000) than it writes while the broker restarts.
        targets: [{ id: "mem", type: "memory", config: { store, latencyMs: 500 } }],
        delivery: { batch: { maxRecords: 1000, maxWait: "20ms" }, maxInFlightRecords: 20_000 },
      },
      {
        registry: createRegistry(redpandaSource, memoryTarget),
        logger: createMemoryLogger(),
        stateStore: new MemoryStateStore(),
      },
    );
    if (!loaded.ok) throw loaded.error;
    const pipeline = loaded.value;
    const started = await pipeline.start();
    if (!started.ok) throw started.error;
    const source = () => pipeline.source("kafka")?.handlers as RedpandaSource;
    try {
      await waitUntil(() => source().state()?.paused === true, 60_000, "the consumer to pause");
      expect(memoryStore(store).size("price")).toBeLessThan(prices.length);
      await broker.stop();
      // The pipeline goes on writing what it holds while the broker is away, still backpressured.
      expect(pipeline.status).toBe("running");
      expect(memoryStore(store).size("price") + 20_000).toBeLessThan(prices.length);
      await broker.start();
      await waitUntil(() => memoryStore(store).size("price") >= prices.length, 240_000, "every record");
      expect(pipeline.status).toBe("running");
    } finally {
      const summary = await pipeline.destroy({ timeoutMs: 30_000 });
      expect(summary.state, summary.error?.message).toBe("stopped");
      expect(summary.deadLetters).toBe(0);
    }
    expect(memoryStore(store).size("price")).toBe(prices.length);
    // Nothing the pipeline had taken was read again: the new consumer started past it.
    expect(memoryStore(store).recordsWritten).toBe(prices.length);
    const lag = await createRedpandaSource({
      brokers: broker.brokers,
      topics: { price: topic },
      groupId,
    }).lag();
    expect(lag.total).toBe(0);
  }, 400_000);
});
