import { describe, expect, it } from "vitest";
import { parseRedpandaTargetConfig } from "./target";
import { planDeadLetterTopic, planTopics } from "./topics";

describe("target config", () => {
  it("fills defaults: idempotent producer, acks -1, lz4, core topic names", () => {
    const config = parseRedpandaTargetConfig({ brokers: "a:9092, b:9092" });
    expect(config).toMatchObject({
      brokers: ["a:9092", "b:9092"],
      clientId: "qicore",
      acks: -1,
      idempotent: true,
      compression: "lz4",
      lingerMs: 0,
      createTopics: true,
      checkTopics: true,
    });
    expect(
      Object.fromEntries(Object.entries(planTopics(config)).map(([kind, plan]) => [kind, plan.topic.topic])),
    ).toEqual({
      price: "crypto-prices",
      ohlcv: "crypto-ohlcv",
      analytics: "crypto-analytics",
      trade: "crypto-trades",
      quote: "crypto-quotes",
    });
    expect(planDeadLetterTopic(config).topic).toBe("crypto-dead-letters");
  });

  it("takes topic names from config and the prefix for the others and the dead-letter topic", () => {
    const config = parseRedpandaTargetConfig({
      brokers: ["localhost:9092"],
      topicPrefix: "dev.",
      topics: { ohlcv: "candles" },
      acks: "all",
    });
    const plans = planTopics(config);
    expect(plans.price.topic.topic).toBe("dev.crypto-prices");
    expect(plans.ohlcv.topic).toMatchObject({ topic: "candles", numPartitions: 24 });
    expect(plans.ohlcv.keyField).toBe("instrument");
    expect(planDeadLetterTopic(config).topic).toBe("dev.crypto-dead-letters");
    expect(config.acks).toBe(-1);
  });

  it("lists every problem at once, with its path", () => {
    let message = "";
    try {
      parseRedpandaTargetConfig({
        brokers: "nohost",
        acks: 1,
        exchangeTopics: ["analytics"],
        topics: { price: "bad name!" },
      });
    } catch (thrown) {
      message = (thrown as Error).message;
      expect(thrown).toMatchObject({ code: "CONFIG_INVALID", category: "VALIDATION" });
    }
    expect(message).toContain("brokers");
    expect(message).toContain("topics.price");
    expect(message).toContain("acks: an idempotent producer needs acks -1");
    expect(message).toContain("exchangeTopics: analytics records have no exchange");
  });

  it("accepts acks 1 without idempotence, and partition / replication overrides", () => {
    const config = parseRedpandaTargetConfig({
      brokers: "k:9092",
      idempotent: false,
      acks: 1,
      partitions: 3,
      replicationFactor: 1,
    });
    expect(config.acks).toBe(1);
    expect(planTopics(config).price.topic).toMatchObject({ numPartitions: 3, replicationFactor: 1 });
  });
});
