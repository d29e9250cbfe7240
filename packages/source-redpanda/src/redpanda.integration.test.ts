import {
  type CryptoPrice,
  createRegistry,
  type MarketRecord,
  memoryStore,
  memoryTarget,
  Pipeline,
  RECORD_KINDS,
  type SourceBatch,
} from "@qicore/core";
import { createMemoryLogger, MemoryStateStore, sampleRecords, testSource } from "@qicore/core/testing";
import { createRedpandaTarget } from "@qicore/target-redpanda";
import kafkajs from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireKafkaBrokerList, requireKafkaBrokers } from "../../../test/services";
import { DEAD_LETTER_HEADER } from "./decode";
import type { KafkaCheckpoint } from "./offsets";
import { createRedpandaSource, type RedpandaSource, redpandaSource } from "./source";

const { Kafka, logLevel } = kafkajs;

let sequence = 0;
const unique = (label: string) => `test.${label}.${Date.now().toString(36)}.${++sequence}`;

/** Writes records through the target into topics under a fresh prefix; returns the prefix. */
async function produce(
  prefix: string,
  records: { price?: MarketRecord[]; ohlcv?: MarketRecord[]; analytics?: MarketRecord[] },
  batchMessages = 10_000,
  partitions = 6,
) {
  const target = createRedpandaTarget({
    brokers: requireKafkaBrokers(),
    topicPrefix: prefix,
    partitions,
    batchMessages,
  });
  for (const kind of ["price", "ohlcv", "analytics"] as const) {
    const list = records[kind];
    if (list && list.length > 0) {
      const outcome = await target.write(kind, list);
      expect(outcome.failures ?? []).toEqual([]);
    }
  }
  await target.disconnect();
}

/** Reads batches until `done` says so (or the time runs out), without committing. */
async function readUntil(
  source: RedpandaSource,
  done: (batches: SourceBatch[]) => boolean,
  options: { checkpoint?: unknown; timeoutMs?: number } = {},
): Promise<SourceBatch[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 30_000);
  const batches: SourceBatch[] = [];
  try {
    for await (const batch of source.read({
      signal: controller.signal,
      ...(options.checkpoint !== undefined ? { checkpoint: options.checkpoint } : {}),
    })) {
      batches.push(batch);
      if (done(batches)) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return batches;
}

const recordCount = (batches: readonly SourceBatch[]) =>
  batches.reduce((sum, batch) => sum + batch.records.length, 0);
const keyOf = (record: MarketRecord) => JSON.stringify(record);
const sortedKeys = (records: readonly MarketRecord[]) => records.map(keyOf).sort();

// The conformance suite. Its replay check expects the batches after a checkpoint in one total
// order, which Kafka keeps only within a partition: so one partition, fetched in small pieces
// so there are more batches than the suite reads. Replays over many partitions are tested below.
const conformancePrefix = `${unique("conformance")}.`;
testSource({
  adapter: redpandaSource,
  config: () => ({
    brokers: requireKafkaBrokers(),
    topics: { price: `${conformancePrefix}crypto-prices` },
    groupId: unique("conformance-group"),
    maxBytesPerPartition: 16_384,
  }),
  maxBatches: 5,
  prepare: async () => produce(conformancePrefix, { price: await sampleRecords("price", 3000) }, 20, 1),
});

describe("source-redpanda against a real broker", () => {
  let admin: kafkajs.Admin;

  beforeAll(async () => {
    admin = new Kafka({ brokers: requireKafkaBrokerList(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
  });

  async function committed(groupId: string, topic: string): Promise<Record<number, string>> {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries((entry?.partitions ?? []).map(({ partition, offset }) => [partition, offset]));
  }

  it("round trip: target → topics → source → memory target in a pipeline, nothing lost, offsets committed to the end", async () => {
    const prefix = `${unique("roundtrip")}.`;
    const records = {
      price: await sampleRecords("price", 3000),
      ohlcv: await sampleRecords("ohlcv", 1500, 3),
      analytics: await sampleRecords("analytics", 60),
    };
    await produce(prefix, records);
    const store = unique("roundtrip-store");
    const groupId = unique("roundtrip-group");
    const loaded = await Pipeline.fromConfig(
      {
        name: "roundtrip",
        sources: [
          {
            id: "kafka",
            type: "redpanda",
            config: { brokers: requireKafkaBrokers(), topicPrefix: prefix, groupId },
          },
        ],
        targets: [{ id: "mem", type: "memory", config: { store } }],
        delivery: { batch: { maxRecords: 500, maxWait: "20ms" } },
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
    const total = records.price.length + records.ohlcv.length + records.analytics.length;
    await waitFor(() => memoryStore(store).size() >= total, 60_000);
    const health = await pipeline.adapterHealth();
    const summary = await pipeline.destroy();
    expect(summary.state).toBe("stopped");
    for (const kind of ["price", "ohlcv", "analytics"] as const) {
      expect(sortedKeys(memoryStore(store).list(kind))).toEqual(sortedKeys(records[kind]));
    }
    // Every partition's committed offset reached its end: a restart would read nothing again.
    const lagAfter = await createRedpandaSource({
      brokers: requireKafkaBrokers(),
      topicPrefix: prefix,
      groupId,
    }).lag();
    expect(lagAfter.total).toBe(0);
    // Six partitions for each kind's topic (the target created every kind's).
    expect(lagAfter.partitions.length).toBe(6 * RECORD_KINDS.length);
    expect(health.kafka?.status).toBe("healthy");
    expect(health.kafka?.details).toHaveProperty("lag");
  });

  it("dead-letters poison messages (bad JSON, wrong schema, wrong types, wrong kind, empty) with reasons and origins, delivers every valid one", async () => {
    const topic = unique("poison");
    await admin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: 1 }] });
    const producer = new Kafka({ brokers: requireKafkaBrokerList(), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    const valid = (await sampleRecords("price", 6)) as CryptoPrice[];
    const poison = [
      { value: "{not json", code: "DECODE_FAILED" },
      { value: JSON.stringify({ hello: "world" }), code: "VALIDATION_FAILED" },
      { value: JSON.stringify({ ...valid[0], usdPrice: true }), code: "VALIDATION_FAILED" },
      { value: JSON.stringify({ ...valid[0], lastUpdated: "yesterday" }), code: "VALIDATION_FAILED" },
      { value: JSON.stringify(valid[1]), headers: { "qicore-kind": "ohlcv" }, code: "KIND_MISMATCH" },
      { value: "", code: "EMPTY_MESSAGE" },
      { value: Buffer.from([0xff, 0xfe, 0x7b]), code: "DECODE_FAILED" },
    ];
    // Interleaved: valid, poison, valid, poison ... in one partition, so offsets are known.
    const messages: kafkajs.Message[] = [];
    const expectedOffsets = new Map<string, string>();
    valid.forEach((record, index) => {
      messages.push({ key: record.coinId, value: JSON.stringify(record) });
      const bad = poison[index];
      if (bad) {
        expectedOffsets.set(String(messages.length), bad.code);
        messages.push({
          key: `poison-${index}`,
          value: bad.value as string,
          headers: bad.headers ?? { note: "kept" },
        });
      }
    });
    const last = poison[poison.length - 1];
    if (last) {
      expectedOffsets.set(String(messages.length), last.code);
      messages.push({ key: "poison-last", value: last.value as string, headers: { note: "kept" } });
    }
    await producer.send({ topic, messages });
    await producer.disconnect();

    const deadLetterTopic = unique("poison-dlq");
    const source = createRedpandaSource({
      brokers: requireKafkaBrokers(),
      topics: { price: topic },
      groupId: unique("poison-group"),
      deadLetterTopic,
      sourceId: "kafka-in",
    });
    const batches = await readUntil(source, (all) => lastOffset(all) >= messages.length);
    await source.disconnect();
    expect(sortedKeys(batches.flatMap((batch) => batch.records as MarketRecord[]))).toEqual(
      sortedKeys(valid),
    );
    expect(batches[0]?.origin).toMatchObject({ topic, partition: 0 });

    const letters = await consumeAll(deadLetterTopic, expectedOffsets.size);
    expect(letters).toHaveLength(expectedOffsets.size);
    for (const letter of letters) {
      const headers = letter.headers;
      const offset = headers[DEAD_LETTER_HEADER.originOffset] as string;
      expect(headers[DEAD_LETTER_HEADER.code], `message at offset ${offset}`).toBe(
        expectedOffsets.get(offset),
      );
      expect(headers[DEAD_LETTER_HEADER.originTopic]).toBe(topic);
      expect(headers[DEAD_LETTER_HEADER.originPartition]).toBe("0");
      expect(headers[DEAD_LETTER_HEADER.sourceId]).toBe("kafka-in");
      expect(headers[DEAD_LETTER_HEADER.message]?.length).toBeGreaterThan(5);
      // The original bytes, key and headers travel with the letter.
      const original = messages[Number(offset)];
      expect(letter.value).toEqual(Buffer.from((original?.value ?? "") as string | Buffer));
      expect(letter.key).toBe(original?.key);
      if (headers["qicore-kind"] === undefined) expect(headers.note).toBe("kept");
    }
  });

  it("commits only what commit() is given: uncommitted batches are read again by the next member", async () => {
    const prefix = `${unique("commit")}.`;
    const prices = await sampleRecords("price", 600);
    await produce(prefix, { price: prices }, 20);
    const groupId = unique("commit-group");
    const options = {
      brokers: requireKafkaBrokers(),
      topics: { price: `${prefix}crypto-prices` },
      groupId,
      maxBytesPerPartition: 8192,
    };
    const first = createRedpandaSource(options);
    const all = await readUntil(first, (batches) => recordCount(batches) >= prices.length);
    expect(all.length).toBeGreaterThan(6);
    expect(sortedKeys(all.flatMap((batch) => batch.records as MarketRecord[]))).toEqual(sortedKeys(prices));
    // Commit the checkpoint of the third batch only.
    const third = all[2] as SourceBatch;
    await first.commit(third.checkpoint);
    await first.disconnect();
    const expectedCommitted = (third.checkpoint as KafkaCheckpoint).offsets[`${prefix}crypto-prices`] ?? {};
    const stored = await committed(groupId, `${prefix}crypto-prices`);
    for (const [partition, offset] of Object.entries(expectedCommitted))
      expect(stored[Number(partition)]).toBe(offset);

    const second = createRedpandaSource(options);
    const rest = await readUntil(
      second,
      (batches) => recordCount(batches) >= prices.length - recordCount(all.slice(0, 3)),
    );
    await second.disconnect();
    const reread = rest.flatMap((batch) => batch.records as MarketRecord[]);
    const committedRecords = all.slice(0, 3).flatMap((batch) => batch.records as MarketRecord[]);
    expect(sortedKeys([...committedRecords, ...reread])).toEqual(sortedKeys(prices));
  });

  it("after a rebalance commits only the partitions it still holds; the new member re-reads the revoked ones", async () => {
    const prefix = `${unique("rebalance")}.`;
    const topic = `${prefix}crypto-prices`;
    // Twelve keys, so all six partitions hold data.
    const prices = (await sampleRecords("price", 1200)).map((record, index) => ({
      ...record,
      coinId: `${(record as CryptoPrice).coinId}-${index % 4}`,
      instrument: `${(record as CryptoPrice).coinId}-${index % 4}`,
    })) as MarketRecord[];
    await produce(prefix, { price: prices }, 50);
    const groupId = unique("rebalance-group");
    const options = {
      brokers: requireKafkaBrokers(),
      topics: { price: topic },
      groupId,
      heartbeatIntervalMs: 500,
    };

    // A reads everything and keeps it "in the pipeline": nothing is committed yet.
    const first = createRedpandaSource(options);
    const controller = new AbortController();
    const iterator = first.read({ signal: controller.signal })[Symbol.asyncIterator]();
    const readByFirst: SourceBatch[] = [];
    while (recordCount(readByFirst) < prices.length) {
      const next = await iterator.next();
      if (next.done) throw new Error("the first member stopped early");
      readByFirst.push(next.value);
    }
    expect(first.state()?.assigned).toHaveLength(6);
    const lastCheckpoint = readByFirst.at(-1)?.checkpoint as KafkaCheckpoint;
    expect(Object.keys(lastCheckpoint.offsets[topic] ?? {})).toHaveLength(6);

    // B joins the group: the partitions are split while A's batches are still being written.
    const second = createRedpandaSource(options);
    const secondBatches: SourceBatch[] = [];
    const secondController = new AbortController();
    const secondReading = (async () => {
      for await (const batch of second.read({ signal: secondController.signal })) secondBatches.push(batch);
    })();
    await waitFor(
      () => (first.state()?.assigned.length ?? 6) < 6 && (second.state()?.assigned.length ?? 0) > 0,
      30_000,
    );
    const keptByFirst = new Set(first.state()?.assigned);
    const takenBySecond = new Set(second.state()?.assigned);
    expect(keptByFirst.size + takenBySecond.size).toBe(6);

    // The pipeline finishes writing A's batches and commits A's last checkpoint.
    await first.commit(lastCheckpoint);
    const stored = await committed(groupId, topic);
    for (let partition = 0; partition < 6; partition++) {
      const key = `${topic}:${partition}`;
      const offset = lastCheckpoint.offsets[topic]?.[String(partition)];
      if (keptByFirst.has(key)) expect(stored[partition], key).toBe(offset);
      else expect(stored[partition], `${key} was revoked from the first member`).toBe("-1");
    }

    // B re-reads the revoked partitions from their committed offsets (the start): duplicates, never loss.
    const revokedRecords = readByFirst
      .filter((batch) => takenBySecond.has(`${topic}:${(batch.origin as { partition: number }).partition}`))
      .flatMap((batch) => batch.records as MarketRecord[]);
    await waitFor(() => recordCount(secondBatches) >= revokedRecords.length, 30_000);
    expect(sortedKeys(secondBatches.flatMap((batch) => batch.records as MarketRecord[]))).toEqual(
      sortedKeys(revokedRecords),
    );
    secondController.abort();
    await secondReading;
    controller.abort();
    await iterator.return?.();
    await second.disconnect();
    await first.disconnect();
  });

  it("pauses when the pipeline does not pull and resumes when it does, holding a bounded buffer", async () => {
    const prefix = `${unique("pause")}.`;
    const prices = await sampleRecords("price", 20_000);
    // Small record batches: a fetch returns whole record batches, so they bound the overshoot.
    await produce(prefix, { price: prices }, 150);
    const source = createRedpandaSource({
      brokers: requireKafkaBrokers(),
      topics: { price: `${prefix}crypto-prices` },
      groupId: unique("pause-group"),
      maxBufferedRecords: 1000,
      maxBytesPerPartition: 64 * 1024,
    });
    const controller = new AbortController();
    const iterator = source.read({ signal: controller.signal })[Symbol.asyncIterator]();
    const firstBatch = await iterator.next();
    expect(firstBatch.done).toBe(false);
    // Not pulling: the consumer fills its buffer, then pauses.
    await waitFor(() => source.state()?.paused === true, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const held = source.state();
    expect(held?.paused).toBe(true);
    // At most one fetch (6 partitions x 64 KiB, about 1,200 prices) past the bound.
    expect(held?.bufferedRecords).toBeLessThan(1000 + 1500);
    let received = (firstBatch.value as SourceBatch).records.length;
    while (received < prices.length) {
      const next = await iterator.next();
      if (next.done) break;
      received += next.value.records.length;
    }
    expect(received).toBe(prices.length);
    expect(source.state()?.paused).toBe(false);
    controller.abort();
    await iterator.return?.();
    await source.disconnect();
  });

  it("reports the group's lag per partition", async () => {
    const prefix = `${unique("lag")}.`;
    const prices = await sampleRecords("price", 300);
    await produce(prefix, { price: prices });
    const source = createRedpandaSource({
      brokers: requireKafkaBrokers(),
      topics: { price: `${prefix}crypto-prices` },
      groupId: unique("lag-group"),
    });
    const before = await source.lag();
    expect(before.total).toBe(prices.length);
    expect(before.partitions).toHaveLength(6);
    expect(before.partitions.every((entry) => entry.committed === "-1")).toBe(true);
    const batches = await readUntil(source, (all) => recordCount(all) >= prices.length);
    await source.commit(batches.at(-1)?.checkpoint);
    const after = await source.lag();
    expect(after.total).toBe(0);
    const health = await source.healthCheck();
    expect(health.details?.totalLag).toBe(0);
    expect(Object.keys((health.details?.lag ?? {}) as object)).toHaveLength(6);
    await source.disconnect();
  });

  it("starts a new group at the latest offsets or at a time", async () => {
    const prefix = `${unique("start")}.`;
    const topic = `${prefix}crypto-prices`;
    const early = await sampleRecords("price", 100, 1);
    await produce(prefix, { price: early });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const middle = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const late = await sampleRecords("price", 100, 2);
    await produce(prefix, { price: late });

    const byTime = createRedpandaSource({
      brokers: requireKafkaBrokers(),
      topics: { price: topic },
      groupId: unique("time-group"),
      startFrom: new Date(middle).toISOString(),
    });
    const fromTime = await readUntil(byTime, (all) => recordCount(all) >= late.length);
    await byTime.disconnect();
    expect(sortedKeys(fromTime.flatMap((batch) => batch.records as MarketRecord[]))).toEqual(
      sortedKeys(late),
    );

    const latest = createRedpandaSource({
      brokers: requireKafkaBrokers(),
      topics: { price: topic },
      groupId: unique("latest-group"),
      startFrom: "latest",
    });
    const newest = await sampleRecords("price", 50, 3);
    const reading = readUntil(latest, (all) => recordCount(all) >= newest.length);
    await waitFor(() => (latest.state()?.assigned.length ?? 0) === 6, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await produce(prefix, { price: newest });
    const fromLatest = await reading;
    await latest.disconnect();
    expect(sortedKeys(fromLatest.flatMap((batch) => batch.records as MarketRecord[]))).toEqual(
      sortedKeys(newest),
    );
  });

  it("moves forward to the runtime's checkpoint but never back behind the group's commits", async () => {
    const prefix = `${unique("checkpoint")}.`;
    const topic = `${prefix}crypto-prices`;
    const prices = await sampleRecords("price", 600);
    await produce(prefix, { price: prices });
    const groupId = unique("checkpoint-group");
    const options = { brokers: requireKafkaBrokers(), topics: { price: topic }, groupId };
    const reader = createRedpandaSource(options);
    const all = await readUntil(reader, (batches) => recordCount(batches) >= prices.length);
    // Commit everything to the group, then hand a stale checkpoint (the first batch's) to a new read.
    await reader.commit(all.at(-1)?.checkpoint);
    await reader.disconnect();
    const stale = createRedpandaSource(options);
    const again = await readUntil(stale, () => false, { checkpoint: all[0]?.checkpoint, timeoutMs: 3000 });
    await stale.disconnect();
    expect(recordCount(again)).toBe(0);
  });
});

/** The partition end reached by the batches read so far (one partition topics). */
function lastOffset(batches: readonly SourceBatch[]): number {
  const last = batches.at(-1)?.origin as { lastOffset?: string } | undefined;
  return last?.lastOffset ? Number(last.lastOffset) + 1 : 0;
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every message of a topic, read with a throwaway kafkajs consumer group. */
async function consumeAll(
  topic: string,
  count: number,
): Promise<{ key: string | null; value: Buffer | null; headers: Record<string, string | undefined> }[]> {
  const kafka = new Kafka({ brokers: requireKafkaBrokerList(), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: unique("reader") });
  const found: { key: string | null; value: Buffer | null; headers: Record<string, string | undefined> }[] =
    [];
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
  await waitFor(() => found.length >= count, 30_000);
  await new Promise((resolve) => setTimeout(resolve, 300));
  await consumer.disconnect();
  return found;
}
