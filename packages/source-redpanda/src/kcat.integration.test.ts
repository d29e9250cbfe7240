import type { CryptoPrice, SourceBatch } from "@qicore/core";
import { createRedpandaTarget } from "@qicore/target-redpanda";
import { describe, expect, it } from "vitest";
import { requireKafkaBrokers, requireKcat } from "../../../test/services";
import { kcatConsume, kcatProduce } from "../../target-redpanda/test-support/kcat";
import { createRedpandaSource } from "./source";

const prefix = `test.kcat-source.${Date.now().toString(36)}.`;
const coins = Array.from({ length: 30 }, (_, index) => `coin-${index}`);

/** A price as a non-QiCore producer might write it: numbers, epoch milliseconds, no exchange. */
const foreignPrice = (coin: string, index: number) => ({
  coinId: coin,
  symbol: coin.toUpperCase().replace("-", ""),
  usdPrice: 100 + index / 8,
  lastUpdated: 1_717_000_000_000 + index * 1000,
  source: "kcat",
  attribution: "written by librdkafka",
});

describe("source-redpanda reads what kcat (librdkafka) wrote", () => {
  it("consumes kcat's messages in every codec, normalised, with keys on the partitions kafkajs would pick", async () => {
    const topic = `${prefix}crypto-prices`;
    // The target creates the topic (12 partitions) from the core's config.
    const target = createRedpandaTarget({ brokers: requireKafkaBrokers(), topicPrefix: prefix });
    await target.connect();
    const codecs = ["none", "gzip", "snappy", "lz4", "zstd"];
    const sent = codecs.flatMap((codec, round) =>
      coins.map((coin, index) => ({ codec, price: foreignPrice(coin, round * coins.length + index) })),
    );
    for (const codec of codecs) {
      kcatProduce(
        requireKcat(),
        requireKafkaBrokers(),
        topic,
        sent
          .filter((entry) => entry.codec === codec)
          .map((entry) => ({ key: entry.price.coinId, value: JSON.stringify(entry.price) })),
        { compression: codec, headers: { "qicore-kind": "price" } },
      );
    }

    const source = createRedpandaSource({
      brokers: requireKafkaBrokers(),
      topics: { price: topic },
      groupId: `${prefix}group`,
    });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 30_000);
    const batches: SourceBatch[] = [];
    let count = 0;
    for await (const batch of source.read({ signal: controller.signal })) {
      batches.push(batch);
      count += batch.records.length;
      if (count >= sent.length) break;
    }
    clearTimeout(timer);
    await source.disconnect();

    const received = batches.flatMap((batch) => batch.records as CryptoPrice[]);
    expect(received).toHaveLength(sent.length);
    const byTime = new Map(received.map((record) => [`${record.coinId}@${record.lastUpdated}`, record]));
    for (const { price } of sent) {
      const record = byTime.get(`${price.coinId}@${new Date(price.lastUpdated).toISOString()}`);
      expect(record, price.coinId).toMatchObject({
        exchangeId: "aggregate",
        usdPrice: String(price.usdPrice),
        source: "kcat",
      });
    }

    // kafkajs (the target) writes the same keys; each key must share its partition with kcat's messages.
    const records = coins.map((coin, index) => ({
      ...foreignPrice(coin, 1000 + index),
      usdPrice: "1",
      exchangeId: "aggregate",
      lastUpdated: new Date(1_800_000_000_000 + index).toISOString(),
    })) as CryptoPrice[];
    await target.write("price", records);
    await target.disconnect();
    const partitions = new Map<string, Set<number>>();
    for (const message of kcatConsume(requireKcat(), requireKafkaBrokers(), topic)) {
      const set = partitions.get(message.key ?? "") ?? new Set<number>();
      set.add(message.partition);
      partitions.set(message.key ?? "", set);
    }
    for (const coin of coins) expect([...(partitions.get(coin) ?? [])], coin).toHaveLength(1);
    // The source saw each key on that same partition.
    for (const batch of batches) {
      const partition = (batch.origin as { partition: number }).partition;
      // Prices are keyed by instrument, which is the coin id for records that name a coin.
      for (const record of batch.records as CryptoPrice[])
        expect(partitions.get(String(record.instrument))?.has(partition), record.instrument).toBe(true);
    }
  });
});
