/**
 * The publishing side through broker restarts: synthetic → target-redpanda pipelines, one per
 * producer library, while a broker of this file's own is restarted twice. Every record must
 * be in the topic exactly once and in order per key, none dead-lettered: the runtime waits
 * the restarts out (delivery.retry) and the send queue sends a failed request again unchanged,
 * so the idempotent producer's brokers drop whatever they had stored of it.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRegistry, Pipeline, type RunSummary } from "@qicore/core";
import { createMemoryLogger, MemoryStateStore } from "@qicore/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireKcat } from "../../../test/services";
import { kcatConsume } from "../test-support/kcat";
import { PRODUCER_LIBRARIES } from "../test-support/libraries";
import { ScratchKafka } from "../test-support/scratch-kafka";
import { redpandaTarget } from "./target";

const broker = new ScratchKafka(29300);
const run = Date.now().toString(36);
const RECORDS = 220_000;
// Slow enough that each pipeline is still publishing during both restarts (about 75 s).
const RATE = 3000;
// Keys on all six partitions (murmur2): bitcoin and chainlink 0, polkadot 1, ethereum and cardano 2, uniswap 3, solana 4, ripple 5.
const COINS = ["bitcoin", "polkadot", "ethereum", "uniswap", "solana", "ripple", "chainlink", "cardano"];

interface Publisher {
  library: string;
  topic: string;
  pipeline: Pipeline;
  done: Promise<RunSummary>;
  deadLetterFile: string;
  /** Readiness reasons seen while the broker was down. */
  outageReasons: string[];
}

async function startPublisher(library: (typeof PRODUCER_LIBRARIES)[number]): Promise<Publisher> {
  const topic = `test.publish-outage.${run}.${library}`;
  const deadLetterFile = join(mkdtempSync(join(tmpdir(), "qicore-publish-outage-")), "dead-letters.jsonl");
  const loaded = await Pipeline.fromConfig(
    {
      name: `publish-outage-${library}`,
      sources: [
        {
          id: "gen",
          type: "synthetic",
          config: { coins: COINS, count: RECORDS, seed: 12, ratePerSecond: RATE, batchSize: 500 },
        },
      ],
      targets: [
        {
          id: "kafka",
          type: "redpanda",
          config: { brokers: broker.brokers, topics: { price: topic }, partitions: 6, library },
        },
      ],
      delivery: { batch: { maxRecords: 2000, maxWait: "50ms" }, deadLetter: { path: deadLetterFile } },
    },
    {
      registry: createRegistry(redpandaTarget),
      logger: createMemoryLogger(),
      stateStore: new MemoryStateStore(),
    },
  );
  if (!loaded.ok) throw loaded.error;
  const pipeline = loaded.value;
  const started = await pipeline.start();
  if (!started.ok) throw started.error;
  return { library, topic, pipeline, done: pipeline.done, deadLetterFile, outageReasons: [] };
}

const written = (publisher: Publisher) => publisher.pipeline.metricsSnapshot().recordsOut.kafka ?? 0;

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Restarts the broker (a graceful stop, or SIGKILL: requests in flight may then be stored
 * without their acknowledgement), noting what readiness says of each publisher meanwhile.
 * Resolves with the seconds each publisher took to produce again once the broker was back.
 */
async function restartWatching(publishers: readonly Publisher[], how: "stop" | "kill"): Promise<number[]> {
  let down = true;
  const watching = (async () => {
    while (down) {
      for (const publisher of publishers) {
        const health = publisher.pipeline.health();
        if (!health.ready) publisher.outageReasons.push(...health.reasons);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  try {
    await (how === "stop" ? broker.stop() : broker.kill());
    await broker.start();
  } finally {
    down = false;
    await watching;
  }
  return Promise.all(
    publishers.map(async (publisher) => {
      const before = written(publisher);
      const started = performance.now();
      await waitUntil(() => written(publisher) > before, 120_000, `${publisher.library} to produce again`);
      return (performance.now() - started) / 1000;
    }),
  );
}

describe("target-redpanda through broker restarts", () => {
  beforeAll(() => broker.start(), 180_000);
  afterAll(() => broker.stop(), 120_000);

  it(`publishes ${RECORDS.toLocaleString("en")} records per library through two broker restarts (graceful, then SIGKILL): each in the topic once, in order per key, none dead-lettered`, async () => {
    const publishers = await Promise.all(PRODUCER_LIBRARIES.map(startPublisher));
    const recoveries: number[][] = [];
    try {
      for (const [fraction, how] of [
        [0.2, "stop"],
        [0.55, "kill"],
      ] as const) {
        await waitUntil(
          () => publishers.every((publisher) => written(publisher) >= RECORDS * fraction),
          180_000,
          `${fraction * 100}% of the records published`,
        );
        // Each restart comes while every pipeline is still publishing.
        for (const publisher of publishers) expect(written(publisher)).toBeLessThan(RECORDS);
        recoveries.push(await restartWatching(publishers, how));
      }
      const summaries = await Promise.all(publishers.map((publisher) => publisher.done));
      for (const [index, summary] of summaries.entries()) {
        const publisher = publishers[index] as Publisher;
        expect(summary.state, `${publisher.library}: ${summary.error?.message}`).toBe("stopped");
        expect(summary.recordsOut.kafka).toBe(RECORDS);
        expect(summary.deadLetters, publisher.library).toBe(0);
        expect(
          existsSync(publisher.deadLetterFile) ? readFileSync(publisher.deadLetterFile, "utf8") : "",
        ).toBe("");
        // The runtime retried the writes the restarts failed, and readiness said so meanwhile.
        expect(publisher.pipeline.metricsSnapshot().retries.kafka, publisher.library).toBeGreaterThan(0);
        expect(publisher.outageReasons.join("\n"), publisher.library).toMatch(/"kafka" write is failing/);
      }
    } finally {
      for (const publisher of publishers) await publisher.pipeline.destroy({ timeoutMs: 10_000 });
    }
    for (const [index, publisher] of publishers.entries())
      console.log(
        `[outage] ${publisher.library}: producing again ${recoveries.map((times) => `${(times[index] ?? 0).toFixed(1)} s`).join(" and ")} after each broker restart`,
      );

    for (const publisher of publishers) {
      const messages = kcatConsume(requireKcat(), broker.brokers, publisher.topic);
      const identities = messages.map((message) => {
        const record = JSON.parse(message.payload ?? "{}") as { instrument: string; lastUpdated: string };
        return {
          ...message,
          identity: `${record.instrument}|${record.lastUpdated}`,
          time: record.lastUpdated,
        };
      });
      expect(new Set(identities.map((message) => message.partition)).size, publisher.library).toBe(6);
      expect(identities.length, `${publisher.library}: messages in the topic`).toBe(RECORDS);
      expect(new Set(identities.map((message) => message.identity)).size, publisher.library).toBe(RECORDS);
      // Per key, offsets follow the records' order: the retries reordered nothing.
      const lastTime = new Map<string, string>();
      let outOfOrder = 0;
      for (const message of identities.sort((a, b) => a.partition - b.partition || a.offset - b.offset)) {
        const previous = lastTime.get(message.key ?? "");
        if (previous !== undefined && previous >= message.time) outOfOrder++;
        lastTime.set(message.key ?? "", message.time);
      }
      expect(outOfOrder, publisher.library).toBe(0);
    }
  }, 600_000);
});
