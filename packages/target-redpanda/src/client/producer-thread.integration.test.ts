import type { Worker } from "node:worker_threads";
import { sampleRecords } from "@qicore/core/testing";
import { describe, expect, it } from "vitest";
import { requireKafkaBrokers, requireKcat } from "../../../../test/services";
import { kcatConsume } from "../../test-support/kcat";
import { createRedpandaTarget, parseRedpandaTargetConfig } from "../target";
import { startThread, ThreadedProducer, threadSetup } from "./platformatic";
import type { TopicMessages } from "./types";

describe("the producer thread", () => {
  it("fails the writes it held when it dies, and the next write starts a new thread", async () => {
    const prefix = `test.producer-thread.${Date.now().toString(36)}.`;
    const topic = `${prefix}crypto-prices`;
    // The target creates the topic from the core's config.
    const creator = createRedpandaTarget({ brokers: requireKafkaBrokers(), topicPrefix: prefix });
    await creator.connect();
    await creator.disconnect();

    const workers: Worker[] = [];
    const config = parseRedpandaTargetConfig({ brokers: requireKafkaBrokers() });
    const producer = new ThreadedProducer(
      threadSetup(config, { idempotent: true, acks: -1, compression: "lz4", ackTimeoutMs: 10_000 }),
      (setup) => {
        const worker = startThread(setup);
        workers.push(worker);
        return worker;
      },
    );
    const records = await sampleRecords("price", 200);
    const batch = (from: number, to: number): TopicMessages[] => [
      {
        topic,
        messages: records.slice(from, to).map((record) => ({
          key: (record as { coinId: string }).coinId,
          value: Buffer.from(JSON.stringify(record)),
          headers: { "content-type": "application/json" },
        })),
      },
    ];
    try {
      await producer.connect();
      const held = producer.send(batch(0, 100));
      await workers[0]?.terminate();
      await expect(held).rejects.toThrow(/producer thread exited/);

      await producer.send(batch(100, 200));
      expect(workers).toHaveLength(2);
    } finally {
      await producer.disconnect();
    }
    // What the second thread sent is there; what the first held may or may not be (at least once).
    const stored = new Set(kcatConsume(requireKcat(), requireKafkaBrokers(), topic).map((m) => m.payload));
    for (const record of records.slice(100)) expect(stored.has(JSON.stringify(record))).toBe(true);
  });
});
