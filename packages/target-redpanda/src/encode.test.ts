import { type CryptoPrice, RECORD_KIND_DEFINITIONS, recordSchemaId } from "@qicore/core";
import { sampleRecords } from "@qicore/core/testing";
import { DEAD_LETTER_HEADER, HEADER } from "@qicore/kafka-common";
import { describe, expect, it } from "vitest";
import { encodeDeadLetter, RecordEncoder } from "./encode";
import { parseRedpandaTargetConfig } from "./target";
import { describeDrift, planTopics } from "./topics";

const plans = planTopics(parseRedpandaTargetConfig({ brokers: "k:9092" }));

describe("RecordEncoder", () => {
  it("keys by instrument, sends the canonical JSON and the kind, schema, version and source headers", async () => {
    const encoder = new RecordEncoder({
      plans,
      exchangeKinds: [],
      producer: "p/kafka",
      maxMessageBytes: 10_000,
    });
    const records = await sampleRecords("price", 3);
    const encoded = encoder.encode("price", records);
    expect(encoded.failures).toEqual([]);
    expect(encoded.topics.map((topic) => topic.topic)).toEqual(["crypto-prices"]);
    const messages = encoded.topics[0]?.messages ?? [];
    expect(messages.map((message) => message.key)).toEqual(
      records.map((record) => (record as CryptoPrice).instrument),
    );
    expect(messages.map((message) => JSON.parse(message.value.toString()))).toEqual(records);
    const headers = Object.fromEntries(
      Object.entries(messages[0]?.headers ?? {}).map(([name, value]) => [name, value.toString()]),
    );
    expect(headers).toEqual({
      [HEADER.contentType]: "application/json",
      [HEADER.kind]: "price",
      [HEADER.schema]: recordSchemaId("price"),
      [HEADER.schemaVersion]: String(RECORD_KIND_DEFINITIONS.price.schemaVersion),
      [HEADER.source]: (records[0] as CryptoPrice).source,
    });
  });

  it("keys analytics by source and routes per exchange when asked", async () => {
    const encoder = new RecordEncoder({
      plans,
      exchangeKinds: ["ohlcv"],
      producer: "p",
      maxMessageBytes: 10_000,
    });
    const analytics = encoder.encode("analytics", await sampleRecords("analytics", 1));
    expect(analytics.topics[0]?.messages[0]?.key).toBe("synthetic");
    const candles = (await sampleRecords("ohlcv", 4)).map((record, index) => ({
      ...record,
      exchangeId: index < 1 ? "kraken" : "binance",
    }));
    const encoded = encoder.encode("ohlcv", candles);
    expect(encoded.topics.map((topic) => [topic.topic, topic.messages.length])).toEqual([
      ["crypto-ohlcv.kraken", 1],
      ["crypto-ohlcv.binance", 3],
    ]);
    expect(encoded.topicPlans.map((plan) => [plan.topic, plan.numPartitions])).toEqual([
      ["crypto-ohlcv.kraken", 24],
      ["crypto-ohlcv.binance", 24],
    ]);
  });

  it("refuses records over maxMessageBytes by index", async () => {
    const encoder = new RecordEncoder({ plans, exchangeKinds: [], producer: "p", maxMessageBytes: 600 });
    const records = await sampleRecords("price", 2);
    const encoded = encoder.encode("price", [
      records[0],
      { ...records[1], attribution: "a".repeat(700) },
    ] as CryptoPrice[]);
    expect(encoded.failures.map((failure) => [failure.index, failure.error.code])).toEqual([
      [1, "MESSAGE_TOO_LARGE"],
    ]);
    expect(encoded.topics[0]?.messages).toHaveLength(1);
  });
});

describe("encodeDeadLetter", () => {
  it("carries the letter as JSON, the origin as headers, and the record's key", () => {
    const message = encodeDeadLetter(
      {
        kind: "ohlcv",
        record: { coinId: "solana", instrument: "SOL-USD" },
        reason: { code: "WRITE_FAILED", message: "db down", category: "EXTERNAL" },
        sourceId: "in",
        origin: { url: "https://example.test/x" },
        failedAt: "2024-01-01T00:00:00.000Z",
        attempts: 5,
      },
      plans,
      "p/t",
    );
    expect(message.key).toBe("SOL-USD");
    expect(message.headers[DEAD_LETTER_HEADER.origin]).toBe('{"url":"https://example.test/x"}');
    expect(message.headers[DEAD_LETTER_HEADER.originTopic]).toBeUndefined();
    expect(JSON.parse(message.value.toString())).toMatchObject({
      attempts: 5,
      reason: { code: "WRITE_FAILED" },
    });
  });
});

describe("encodeDeadLetter bounded copies", () => {
  it("keeps a letter too large to send as its reason, origin and the record's first characters and size", () => {
    const record = { coinId: "solana", instrument: "SOL-USD", attribution: "x".repeat(50_000) };
    const letter = {
      kind: "price" as const,
      record,
      reason: { code: "MESSAGE_TOO_LARGE", message: "too large", category: "VALIDATION" },
      sourceId: "in",
      failedAt: "2024-01-01T00:00:00.000Z",
      attempts: 1,
    };
    const whole = encodeDeadLetter(letter, plans, "p/t", 100_000);
    expect(JSON.parse(whole.value.toString()).record).toEqual(record);
    expect(whole.headers[DEAD_LETTER_HEADER.truncated]).toBeUndefined();

    const bounded = encodeDeadLetter(letter, plans, "p/t", 20_000);
    expect(bounded.value.length).toBeLessThan(20_000);
    expect(bounded.key).toBe("SOL-USD");
    const value = JSON.parse(bounded.value.toString());
    expect(value).toMatchObject({
      reason: { code: "MESSAGE_TOO_LARGE" },
      recordBytes: JSON.stringify(record).length,
    });
    expect(value.record).toBeUndefined();
    expect(JSON.stringify(record).startsWith(value.recordPreview)).toBe(true);
    expect(value.recordPreview.length).toBe(5000);
    expect(bounded.headers[DEAD_LETTER_HEADER.truncated]).toBe("record");
    expect(bounded.headers[DEAD_LETTER_HEADER.originalBytes]).toBe(String(JSON.stringify(record).length));
  });
});

describe("describeDrift", () => {
  it("names each setting that differs and ignores settings the broker did not report", () => {
    const wanted = plans.analytics.topic;
    expect(
      describeDrift(wanted, {
        name: wanted.topic,
        partitions: 6,
        replicationFactor: 1,
        settings: { "retention.ms": "1000", "cleanup.policy": "delete" },
      }),
    ).toEqual([
      `crypto-analytics: replication factor 1 (expected 3), retention.ms 1000 (expected 7776000000)`,
    ]);
    expect(
      describeDrift(
        { ...wanted, replicationFactor: 1 },
        { name: wanted.topic, partitions: 6, replicationFactor: 1, settings: {} },
      ),
    ).toEqual([]);
  });
});
