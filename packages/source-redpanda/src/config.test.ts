import { describe, expect, it } from "vitest";
import { deadLetterTopicOf, resolveTopics } from "./config";
import { checkpointOffsets, Positions } from "./offsets";
import { parseRedpandaSourceConfig } from "./source";

describe("source config", () => {
  it("defaults to the core's topics under the prefix, from the earliest offsets", () => {
    const config = parseRedpandaSourceConfig({ brokers: "k:9092", topicPrefix: "dev." });
    expect(config.startFrom).toEqual({ at: "earliest" });
    expect(resolveTopics(config)).toEqual({
      topics: [
        { topic: "dev.crypto-prices", kind: "price" },
        { topic: "dev.crypto-ohlcv", kind: "ohlcv" },
        { topic: "dev.crypto-analytics", kind: "analytics" },
        { topic: "dev.crypto-trades", kind: "trade" },
        { topic: "dev.crypto-quotes", kind: "quote" },
      ],
      explicit: false,
    });
    expect(deadLetterTopicOf(config)).toBe("dev.crypto-dead-letters");
  });

  it("takes topics per kind (a name or a list) and a start time in either form", () => {
    const config = parseRedpandaSourceConfig({
      brokers: ["k:9092"],
      topics: { price: ["crypto-prices.binance", "crypto-prices.kraken"], ohlcv: "candles" },
      startFrom: { timestamp: 1_717_000_000_000 },
    });
    expect(resolveTopics(config).topics.map(({ topic, kind }) => `${kind}:${topic}`)).toEqual([
      "price:crypto-prices.binance",
      "price:crypto-prices.kraken",
      "ohlcv:candles",
    ]);
    expect(config.startFrom).toEqual({ at: "timestamp", timestampMs: 1_717_000_000_000 });
    expect(
      parseRedpandaSourceConfig({ brokers: "k:1", startFrom: "2024-05-29T16:26:40Z" }).startFrom,
    ).toEqual({
      at: "timestamp",
      timestampMs: 1_717_000_000_000,
    });
  });

  it("refuses a bad start and a bad topic name with their paths", () => {
    expect(() =>
      parseRedpandaSourceConfig({ brokers: "k:1", startFrom: "tomorrow", topics: { price: "a b" } }),
    ).toThrow(/startFrom.*topics\.price|topics\.price.*startFrom/s);
  });
});

describe("checkpoints", () => {
  it("are JSON offset maps, copied per batch, and read back as partition offsets", () => {
    const positions = new Positions();
    positions.set("t", 0, "10");
    const first = positions.checkpoint();
    positions.set("t", 1, "5");
    positions.set("t", 0, "12");
    expect(first).toEqual({ offsets: { t: { "0": "10" } } });
    const second = JSON.parse(JSON.stringify(positions.checkpoint()));
    expect(checkpointOffsets(second)).toEqual([
      { topic: "t", partition: 0, offset: "12" },
      { topic: "t", partition: 1, offset: "5" },
    ]);
    expect(checkpointOffsets({ next: 3 })).toBeUndefined();
    expect(checkpointOffsets({ offsets: { t: { "0": 12 } } })).toBeUndefined();
  });
});
