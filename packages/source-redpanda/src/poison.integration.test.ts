/**
 * Poison messages never stall a partition: a 5 MB message the source topic allows but the
 * schema refuses goes to the dead-letter topic (whole when that topic was created with the
 * source topic's max.message.bytes, as a bounded copy when an existing one is smaller), and
 * a partition that stops moving anyway (here: a dead-letter topic that does not exist) is
 * reported by healthCheck and a log line naming topic, partition and offset.
 *
 * These run against the shared broker: nothing here restarts it.
 */
import {
  type CryptoPrice,
  createRegistry,
  memoryStore,
  memoryTarget,
  Pipeline,
  type RunSummary,
} from "@qicore/core";
import { createMemoryLogger, MemoryStateStore } from "@qicore/core/testing";
import { timescaleTarget } from "@qicore/target-timescale";
import kafkajs from "kafkajs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireKafkaBrokerList, requireKafkaBrokers, requireTimescaleUrl } from "../../../test/services";
import { distinctPrices } from "../test-support/prices";
import { waitUntil } from "../test-support/processes";
import { DEAD_LETTER_HEADER } from "./decode";
import { createRedpandaSource, type RedpandaSource, redpandaSource } from "./source";

const { Kafka, logLevel } = kafkajs;
const run = Date.now().toString(36);
const BIG_BYTES = 5 * 1024 * 1024;
const TOPIC_LIMIT = 10 * 1024 * 1024;

interface Letter {
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string | undefined>;
}

describe("source-redpanda with poison messages", () => {
  const kafka = new Kafka({ brokers: requireKafkaBrokerList(), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  let database: pg.Client;

  beforeAll(async () => {
    await admin.connect();
    await producer.connect();
    database = new pg.Client({ connectionString: requireTimescaleUrl() });
    await database.connect();
  });

  afterAll(async () => {
    for (const schema of ["poison_whole", "poison_bounded"])
      await database?.query(`DROP SCHEMA IF EXISTS ${schema}_${run} CASCADE`).catch(() => undefined);
    await database?.end();
    await producer.disconnect();
    await admin.disconnect();
  });

  /**
   * 4,003 messages on a 6-partition topic that allows 10 MB: partition 0 holds 2,003, the
   * one at offset 1000 a 5 MB record the schema refuses (a field it does not know); the
   * other partitions 400 valid ones each.
   */
  async function poisonTopic(label: string): Promise<{ topic: string; valid: CryptoPrice[]; big: Buffer }> {
    const topic = `test.poison.${run}.${label}`;
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: 6,
          configEntries: [{ name: "max.message.bytes", value: String(TOPIC_LIMIT) }],
        },
      ],
    });
    const valid = distinctPrices(4002);
    const big = Buffer.from(JSON.stringify({ ...valid[0], padding: "x".repeat(BIG_BYTES) }));
    const message = (record: CryptoPrice) => ({
      key: String(record.instrument),
      value: JSON.stringify(record),
    });
    await producer.send({
      topic,
      messages: valid.slice(0, 1000).map((record) => ({ ...message(record), partition: 0 })),
    });
    await producer.send({
      topic,
      messages: [{ key: "poison", value: big, partition: 0, headers: { note: "big" } }],
    });
    await producer.send({
      topic,
      messages: valid.slice(1000, 2002).map((record) => ({ ...message(record), partition: 0 })),
    });
    for (let partition = 1; partition < 6; partition++) {
      const from = 2002 + (partition - 1) * 400;
      await producer.send({
        topic,
        messages: valid.slice(from, from + 400).map((record) => ({ ...message(record), partition })),
      });
    }
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((sum, entry) => sum + Number(entry.high), 0)).toBe(4003);
    return { topic, valid, big };
  }

  /** Kafka → TimescaleDB until every valid record is a row; then a graceful stop. */
  async function ingest(topic: string, schema: string, deadLetterTopic: string, rows: number) {
    const groupId = `test.poison.${run}.${schema}`;
    const loaded = await Pipeline.fromConfig(
      {
        name: `poison-${schema.replaceAll("_", "-")}`,
        sources: [
          {
            id: "kafka",
            type: "redpanda",
            config: { brokers: requireKafkaBrokers(), topics: { price: topic }, groupId, deadLetterTopic },
          },
        ],
        targets: [
          { id: "db", type: "timescale", config: { connectionString: requireTimescaleUrl(), schema } },
        ],
        delivery: { batch: { maxRecords: 1000, maxWait: "50ms" } },
      },
      { registry: createRegistry(redpandaSource, timescaleTarget), logger: createMemoryLogger() },
    );
    if (!loaded.ok) throw loaded.error;
    const pipeline = loaded.value;
    const started = await pipeline.start();
    if (!started.ok) throw started.error;
    let summary: RunSummary;
    try {
      await waitUntil(async () => (await count(schema)) >= rows, 120_000, `${rows} rows in ${schema}`);
    } finally {
      summary = await pipeline.destroy();
    }
    const lag = await createRedpandaSource({
      brokers: requireKafkaBrokers(),
      topics: { price: topic },
      groupId,
    }).lag();
    return { summary, lag };
  }

  const count = async (schema: string): Promise<number> => {
    try {
      return (await database.query(`SELECT count(*)::int AS n FROM ${schema}.crypto_prices`)).rows[0]
        .n as number;
    } catch {
      return 0;
    }
  };

  const distinctRows = async (schema: string) =>
    (
      await database.query(
        `SELECT count(*)::int AS n, count(DISTINCT (exchange_id, instrument, quote, last_updated))::int AS keys FROM ${schema}.crypto_prices`,
      )
    ).rows[0] as { n: number; keys: number };

  async function readLetters(topic: string, count: number): Promise<Letter[]> {
    const consumer = kafka.consumer({
      groupId: `test.poison.reader.${Date.now()}`,
      maxBytesPerPartition: TOPIC_LIMIT,
    });
    const found: Letter[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        found.push({
          key: message.key?.toString() ?? null,
          value: message.value,
          headers: Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([name, value]) => [name, value?.toString()]),
          ),
        });
      },
    });
    await waitUntil(() => found.length >= count, 30_000, `${count} dead letters`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await consumer.disconnect();
    return found;
  }

  it("lands every valid message and keeps the 5 MB one whole in a dead-letter topic made as large as the source topic's", async () => {
    const { topic, valid, big } = await poisonTopic("whole");
    const deadLetterTopic = `${topic}.dead-letters`;
    const schema = `poison_whole_${run}`;
    const { summary, lag } = await ingest(topic, schema, deadLetterTopic, valid.length);
    expect(summary.state).toBe("stopped");
    expect(await distinctRows(schema)).toEqual({ n: valid.length, keys: valid.length });
    expect(lag.total).toBe(0);
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        {
          type: kafkajs.ConfigResourceTypes.TOPIC,
          name: deadLetterTopic,
          configNames: ["max.message.bytes"],
        },
      ],
    });
    expect(configs.resources[0]?.configEntries[0]?.configValue).toBe(String(TOPIC_LIMIT));
    const [letter, ...others] = await readLetters(deadLetterTopic, 1);
    expect(others).toEqual([]);
    expect(letter?.headers[DEAD_LETTER_HEADER.code]).toBe("VALIDATION_FAILED");
    expect(letter?.headers[DEAD_LETTER_HEADER.message]).toMatch(/padding/);
    expect(letter?.headers[DEAD_LETTER_HEADER.originPartition]).toBe("0");
    expect(letter?.headers[DEAD_LETTER_HEADER.originOffset]).toBe("1000");
    expect(letter?.headers[DEAD_LETTER_HEADER.truncated]).toBeUndefined();
    expect(letter?.headers.note).toBe("big");
    expect(letter?.key).toBe("poison");
    expect(letter?.value?.equals(big)).toBe(true);
  }, 240_000);

  it("sends a bounded copy (headers, key, first bytes, size, origin, reason) to an existing dead-letter topic that is too small", async () => {
    const { topic, valid, big } = await poisonTopic("bounded");
    const deadLetterTopic = `${topic}.dead-letters`;
    // Kafka's default limit (1 MB): the 5 MB message cannot go there whole.
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: deadLetterTopic, numPartitions: 3 }],
    });
    const schema = `poison_bounded_${run}`;
    const { summary, lag } = await ingest(topic, schema, deadLetterTopic, valid.length);
    expect(summary.state).toBe("stopped");
    expect(await distinctRows(schema)).toEqual({ n: valid.length, keys: valid.length });
    expect(lag.total).toBe(0);
    const [letter, ...others] = await readLetters(deadLetterTopic, 1);
    expect(others).toEqual([]);
    expect(letter?.headers).toMatchObject({
      [DEAD_LETTER_HEADER.code]: "VALIDATION_FAILED",
      [DEAD_LETTER_HEADER.originTopic]: topic,
      [DEAD_LETTER_HEADER.originPartition]: "0",
      [DEAD_LETTER_HEADER.originOffset]: "1000",
      [DEAD_LETTER_HEADER.truncated]: "value",
      [DEAD_LETTER_HEADER.originalBytes]: String(big.length),
      note: "big",
    });
    expect(letter?.headers[DEAD_LETTER_HEADER.message]).toMatch(/padding/);
    expect(letter?.key).toBe("poison");
    // The first bytes, as they were.
    expect(letter?.value?.length).toBe(64 * 1024);
    expect(letter?.value?.equals(big.subarray(0, 64 * 1024))).toBe(true);
  }, 240_000);

  it("reports a partition that stops moving (its dead letter cannot be stored) by healthCheck and a log line naming topic, partition and offset, until it moves again", async () => {
    const topic = `test.stall.${run}`;
    const deadLetterTopic = `${topic}.dead-letters`;
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 6 }] });
    const valid = distinctPrices(1200);
    const send = (records: CryptoPrice[], partition: (index: number) => number) =>
      producer.send({
        topic,
        messages: records.map((record, index) => ({
          key: String(record.instrument),
          value: JSON.stringify(record),
          partition: partition(index),
        })),
      });
    // Five valid messages in each partition, then (once they are committed) a poison message in
    // partition 2 followed by more valid ones everywhere.
    await send(valid.slice(0, 30), (index) => index % 6);
    const store = `stall-${run}`;
    const logger = createMemoryLogger();
    const loaded = await Pipeline.fromConfig(
      {
        name: "stall",
        sources: [
          {
            id: "kafka",
            type: "redpanda",
            config: {
              brokers: requireKafkaBrokers(),
              topics: { price: topic },
              groupId: `test.stall.${run}`,
              deadLetterTopic,
              createDeadLetterTopic: false,
              stallTimeoutMs: 2000,
              // Fail fast while the dead-letter topic is missing: each failure restarts the read.
              retries: 1,
            },
          },
        ],
        targets: [{ id: "mem", type: "memory", config: { store } }],
        delivery: {
          batch: { maxRecords: 100, maxWait: "20ms" },
          retry: { initialDelay: "100ms", maxDelay: "1s" },
        },
      },
      { registry: createRegistry(redpandaSource, memoryTarget), logger, stateStore: new MemoryStateStore() },
    );
    if (!loaded.ok) throw loaded.error;
    const pipeline = loaded.value;
    const started = await pipeline.start();
    if (!started.ok) throw started.error;
    const source = pipeline.source("kafka")?.handlers as RedpandaSource;
    try {
      await waitUntil(async () => (await source.lag()).total === 0, 60_000, "the first messages committed");
      await producer.send({ topic, messages: [{ key: "poison", value: "{not json", partition: 2 }] });
      await send(valid.slice(30), (index) => index % 6);

      // On a loaded machine a healthy partition can also fall behind for the 2 s timeout while
      // the messages after the poison arrive; it catches up, the poison's partition does not.
      // The report that showed it alone is the one checked: a later one may, on a loaded
      // machine, name a healthy partition that fell behind for a moment as well.
      let alone: Awaited<ReturnType<typeof source.healthCheck>> | undefined;
      await waitUntil(
        async () => {
          const health = await source.healthCheck();
          const stalled = (health.details?.stalled ?? []) as { partition: string }[];
          if (health.status === "degraded" && stalled.length === 1 && stalled[0]?.partition === `${topic}/2`)
            alone = health;
          return alone !== undefined;
        },
        90_000,
        "the stalled partition to be reported, alone",
      );
      const health = alone as NonNullable<typeof alone>;
      expect(health.message).toMatch(
        new RegExp(`partition ${topic.replaceAll(".", "\\.")}/2 has made no progress for \\d+ s at offset 5`),
      );
      expect(health.details?.stalled).toEqual([
        expect.objectContaining({ partition: `${topic}/2`, offset: "5" }),
      ]);
      // The poison partition's warning: on a loaded machine a healthy partition that fell behind
      // for a moment may have been warned about first.
      const warning = logger.lines.find(
        (line) =>
          line.level === "warn" && /has made no progress/.test(line.message) && line.fields?.partition === 2,
      );
      expect(warning?.fields).toMatchObject({ topic, partition: 2, offset: "5" });
      // The run goes on: every other partition moved past the poison one's stall.
      expect(pipeline.status).toBe("running");
      await waitUntil(
        async () =>
          (await source.lag()).partitions.every((entry) => entry.partition === 2 || entry.lag === 0),
        60_000,
        "every other partition to move past the poison one's stall",
      );
      expect((await source.lag()).partitions.find((entry) => entry.partition === 2)?.lag).toBeGreaterThan(0);

      // Once the dead letter can be stored the partition moves again and everything lands.
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: deadLetterTopic, numPartitions: 1 }],
      });
      await waitUntil(async () => (await source.lag()).total === 0, 90_000, "the stalled partition to drain");
      await waitUntil(async () => (await source.healthCheck()).status === "healthy", 30_000, "healthy again");
      expect(memoryStore(store).size("price")).toBe(valid.length);
      expect(logger.lines.some((line) => line.message === "partition is moving again")).toBe(true);
      const [letter] = await readLetters(deadLetterTopic, 1);
      expect(letter?.headers[DEAD_LETTER_HEADER.originOffset]).toBe("5");
      expect(letter?.headers[DEAD_LETTER_HEADER.code]).toBe("DECODE_FAILED");
    } finally {
      await pipeline.destroy();
    }
  }, 300_000);
});
