import {
  type CryptoPrice,
  createRegistry,
  type MarketRecord,
  Pipeline,
  RECORD_KIND_DEFINITIONS,
  type RecordKind,
  validateRecord,
} from "@qicore/core";
import { createMemoryLogger, MemoryStateStore, sampleRecords, testTarget } from "@qicore/core/testing";
import { DEAD_LETTER_HEADER, HEADER } from "@qicore/kafka-common";
import kafkajs from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireKafkaBrokerList, requireKafkaBrokers, requireKcat } from "../../../test/services";
import { kcatConsume } from "../test-support/kcat";
import { PRODUCER_LIBRARIES } from "../test-support/libraries";
import { createRedpandaTarget, redpandaTarget } from "./target";

const { Kafka, ConfigResourceTypes, logLevel } = kafkajs;

let sequence = 0;
/** A topic prefix no other test (or earlier run) uses: the broker is shared and kept between runs. */
const uniquePrefix = (label: string) => `test.${label}.${Date.now().toString(36)}.${++sequence}.`;

function storedRecords(topic: string): MarketRecord[] {
  return kcatConsume(requireKcat(), requireKafkaBrokers(), topic).map(
    (message) => JSON.parse(message.payload ?? "null") as MarketRecord,
  );
}

const conformancePrefix = uniquePrefix("conformance");
testTarget({
  adapter: redpandaTarget,
  config: () => ({ brokers: requireKafkaBrokers(), topicPrefix: conformancePrefix }),
  readBack: (kind: RecordKind) => storedRecords(`${conformancePrefix}${defaultTopic(kind)}`),
});

function defaultTopic(kind: RecordKind): string {
  return RECORD_KIND_DEFINITIONS[kind].topic.name;
}

describe("target-redpanda against a real broker", () => {
  let admin: kafkajs.Admin;

  beforeAll(async () => {
    admin = new Kafka({ brokers: requireKafkaBrokerList(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
  });

  async function describeTopic(topic: string) {
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configNames: ["retention.ms", "compression.type", "cleanup.policy"],
        },
      ],
    });
    const settings = Object.fromEntries(
      (configs.resources[0]?.configEntries ?? []).map((entry) => [entry.configName, entry.configValue]),
    );
    return { partitions: metadata.topics[0]?.partitions.length, settings };
  }

  it("creates each kind's topic from the core's topic configs, replication capped at the broker count", async () => {
    const prefix = uniquePrefix("create");
    const logger = createMemoryLogger();
    const target = createRedpandaTarget({ brokers: requireKafkaBrokers(), topicPrefix: prefix, logger });
    await target.connect();
    await target.disconnect();
    expect(await describeTopic(`${prefix}crypto-prices`)).toEqual({
      partitions: 12,
      settings: { "retention.ms": "604800000", "compression.type": "lz4", "cleanup.policy": "delete" },
    });
    expect(await describeTopic(`${prefix}crypto-ohlcv`)).toMatchObject({
      partitions: 24,
      settings: { "retention.ms": "2592000000" },
    });
    expect(await describeTopic(`${prefix}crypto-analytics`)).toMatchObject({
      partitions: 6,
      settings: { "retention.ms": "7776000000" },
    });
    expect(await describeTopic(`${prefix}crypto-dead-letters`)).toMatchObject({
      settings: { "compression.type": "producer" },
    });
    expect(logger.lines.filter((line) => line.level === "warn")).toEqual([]);
  });

  it("warns once, naming every difference, when existing topics drift from the configs", async () => {
    const prefix = uniquePrefix("drift");
    await admin.createTopics({
      waitForLeaders: false,
      topics: [
        {
          topic: `${prefix}crypto-prices`,
          numPartitions: 2,
          configEntries: [{ name: "retention.ms", value: "3600000" }],
        },
        {
          topic: `${prefix}crypto-ohlcv`,
          numPartitions: 24,
          configEntries: [{ name: "cleanup.policy", value: "compact" }],
        },
      ],
    });
    const logger = createMemoryLogger();
    const target = createRedpandaTarget({ brokers: requireKafkaBrokers(), topicPrefix: prefix, logger });
    await target.connect();
    await target.disconnect();
    const warnings = logger.lines.filter((line) => line.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toContain(`${prefix}crypto-prices: partitions 2 (expected 12)`);
    expect(warnings[0]?.message).toContain("retention.ms 3600000 (expected 604800000)");
    expect(warnings[0]?.message).toContain(`${prefix}crypto-ohlcv: retention.ms 86400000`);
    expect(warnings[0]?.message).toContain("cleanup.policy compact (expected delete)");
    // The existing topic is left as it was.
    expect((await describeTopic(`${prefix}crypto-prices`)).partitions).toBe(2);
  });

  it("refuses to start when a topic is missing and createTopics is false", async () => {
    const target = createRedpandaTarget({
      brokers: requireKafkaBrokers(),
      topicPrefix: uniquePrefix("missing"),
      createTopics: false,
    });
    await expect(target.connect()).rejects.toMatchObject({ code: "TOPIC_MISSING" });
  });

  it("routes prices to one topic per exchange when asked, created like the kind's topic", async () => {
    const prefix = uniquePrefix("exchange");
    const target = createRedpandaTarget({
      brokers: requireKafkaBrokers(),
      topicPrefix: prefix,
      exchangeTopics: ["price"],
    });
    const records = (await sampleRecords("price", 40)).map((record, index) => ({
      ...record,
      exchangeId: index % 2 === 0 ? "binance" : "coinbase",
    })) as CryptoPrice[];
    expect(await target.write("price", records)).toEqual({});
    await target.disconnect();
    const binance = storedRecords(`${prefix}crypto-prices.binance`);
    const coinbase = storedRecords(`${prefix}crypto-prices.coinbase`);
    const sorted = (list: readonly MarketRecord[]) => list.map((record) => JSON.stringify(record)).sort();
    expect(sorted(binance)).toEqual(sorted(records.filter((record) => record.exchangeId === "binance")));
    expect(sorted(coinbase)).toEqual(sorted(records.filter((record) => record.exchangeId === "coinbase")));
    expect((await describeTopic(`${prefix}crypto-prices.binance`)).partitions).toBe(12);
  });

  for (const library of PRODUCER_LIBRARIES)
    for (const compression of ["none", "gzip", "snappy", "lz4", "zstd"] as const) {
      it(`produces ${compression}-compressed batches through ${library} that librdkafka (kcat) decompresses`, async () => {
        const prefix = uniquePrefix(`codec-${library}-${compression}`);
        const target = createRedpandaTarget({
          brokers: requireKafkaBrokers(),
          topicPrefix: prefix,
          compression,
          library,
        });
        const records = await sampleRecords("ohlcv", 300);
        await target.write("ohlcv", records);
        await target.disconnect();
        const stored = storedRecords(`${prefix}crypto-ohlcv`);
        expect(stored).toHaveLength(records.length);
        expect(new Set(stored.map((record) => JSON.stringify(record)))).toEqual(
          new Set(records.map((record) => JSON.stringify(record))),
        );
      });
    }

  it("sends dead letters to the dead-letter topic with headers saying why and where from", async () => {
    const prefix = uniquePrefix("dlq");
    const target = createRedpandaTarget({ brokers: requireKafkaBrokers(), topicPrefix: prefix });
    const failedAt = new Date().toISOString();
    await target.writeDeadLetters([
      {
        kind: "price",
        record: { coinId: "bitcoin", instrument: "bitcoin", usdPrice: "not a number" },
        reason: {
          code: "VALIDATION_FAILED",
          message: "usdPrice: expected a decimal",
          category: "VALIDATION",
        },
        sourceId: "kafka-in",
        targetId: "db",
        origin: { topic: "crypto-prices", partition: 4, offset: "1234" },
        failedAt,
        attempts: 3,
      },
    ]);
    await target.disconnect();
    const [letter, ...rest] = kcatConsume(
      requireKcat(),
      requireKafkaBrokers(),
      `${prefix}crypto-dead-letters`,
    );
    expect(rest).toEqual([]);
    expect(letter?.key).toBe("bitcoin");
    expect(letter?.headers).toMatchObject({
      [HEADER.kind]: "price",
      [DEAD_LETTER_HEADER.code]: "VALIDATION_FAILED",
      [DEAD_LETTER_HEADER.message]: "usdPrice: expected a decimal",
      [DEAD_LETTER_HEADER.sourceId]: "kafka-in",
      [DEAD_LETTER_HEADER.targetId]: "db",
      [DEAD_LETTER_HEADER.originTopic]: "crypto-prices",
      [DEAD_LETTER_HEADER.originPartition]: "4",
      [DEAD_LETTER_HEADER.originOffset]: "1234",
      [DEAD_LETTER_HEADER.attempts]: "3",
    });
    expect(JSON.parse(letter?.payload ?? "{}")).toMatchObject({
      record: { coinId: "bitcoin", usdPrice: "not a number" },
      reason: { code: "VALIDATION_FAILED" },
      failedAt,
    });
  });

  it("refuses a record larger than maxMessageBytes by index and writes the others", async () => {
    const prefix = uniquePrefix("too-large");
    const target = createRedpandaTarget({
      brokers: requireKafkaBrokers(),
      topicPrefix: prefix,
      maxMessageBytes: 400,
    });
    const records = await sampleRecords("price", 5);
    const large = { ...records[2], attribution: "x".repeat(500) } as CryptoPrice;
    const batch = [records[0], records[1], large, records[3], records[4]] as CryptoPrice[];
    const outcome = await target.write("price", batch);
    await target.disconnect();
    expect(outcome.failures?.map((failure) => [failure.index, failure.error.code])).toEqual([
      [2, "MESSAGE_TOO_LARGE"],
    ]);
    expect(storedRecords(`${prefix}crypto-prices`)).toHaveLength(4);
  });

  it("publishes through the core's DSL (publishPrices): invalid inputs reported by index, valid ones written", async () => {
    const prefix = uniquePrefix("dsl");
    const loaded = await Pipeline.fromConfig(
      {
        name: "dsl",
        sources: [{ id: "gen", type: "synthetic", config: { count: 1 } }],
        targets: [
          { id: "kafka", type: "redpanda", config: { brokers: requireKafkaBrokers(), topicPrefix: prefix } },
        ],
      },
      {
        registry: createRegistry(redpandaTarget),
        logger: createMemoryLogger(),
        stateStore: new MemoryStateStore(),
      },
    );
    if (!loaded.ok) throw loaded.error;
    const pipeline = loaded.value;
    const initialized = await pipeline.initialize();
    if (!initialized.ok) throw initialized.error;
    const target = pipeline.target("kafka");
    const inputs = [
      {
        coinId: "bitcoin",
        symbol: "BTC",
        usdPrice: 64000.5,
        lastUpdated: 1_717_000_000_000,
        source: "test",
        attribution: "test",
      },
      {
        coinId: "ethereum",
        symbol: "ETH",
        usdPrice: "not a price",
        lastUpdated: 1_717_000_000_000,
        source: "test",
        attribution: "test",
      },
      {
        coinId: "solana",
        symbol: "SOL",
        usdPrice: "150.25",
        lastUpdated: "2024-05-29T16:26:40Z",
        source: "test",
        attribution: "test",
      },
    ];
    const report = await target?.publishPrices(inputs);
    const single = await target?.publishPrice({ ...inputs[0], coinId: "dogecoin", symbol: "DOGE" } as never);
    await pipeline.destroy();
    expect(report?.ok && report.value.written).toBe(2);
    expect(report?.ok && report.value.failed.map((failure) => failure.index)).toEqual([1]);
    expect(single?.ok).toBe(true);
    const stored = storedRecords(`${prefix}crypto-prices`);
    expect(stored.map((record) => (record as CryptoPrice).coinId).sort()).toEqual([
      "bitcoin",
      "dogecoin",
      "solana",
    ]);
    for (const record of stored) {
      // What is stored is the canonical form: validating it again changes nothing.
      const again = validateRecord("price", record);
      expect(again.ok && again.value).toEqual(record);
    }
  });
});
