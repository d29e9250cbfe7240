import { type CryptoPrice, RECORD_KIND_DEFINITIONS, recordSchemaId, validateRecord } from "@qicore/core";
import { sampleRecords } from "@qicore/core/testing";
import { HEADER } from "@qicore/kafka-common";
import { describe, expect, it } from "vitest";
import { requireKafkaBrokers, requireKcat } from "../../../test/services";
import { kcatConsume, kcatProduce } from "../test-support/kcat";
import { PRODUCER_LIBRARIES } from "../test-support/libraries";
import { createRedpandaTarget } from "./target";

const coins = Array.from({ length: 40 }, (_, index) => `coin-${index}`);

describe.each(PRODUCER_LIBRARIES)(
  "kcat (librdkafka) reads what target-redpanda wrote through %s",
  (library) => {
    const prefix = `test.kcat-target.${library}.${Date.now().toString(36)}.`;

    it("sees the instrument as key, the headers, and the canonical JSON of every record", async () => {
      const target = createRedpandaTarget({
        brokers: requireKafkaBrokers(),
        topicPrefix: prefix,
        producerName: "kcat-test",
        library,
      });
      const records = (await sampleRecords("price", 400)).map((record, index) => ({
        ...record,
        coinId: coins[index % coins.length],
        instrument: coins[index % coins.length],
      })) as CryptoPrice[];
      expect(await target.write("price", records)).toEqual({});
      await target.disconnect();

      const messages = kcatConsume(requireKcat(), requireKafkaBrokers(), `${prefix}crypto-prices`);
      expect(messages).toHaveLength(records.length);
      for (const message of messages) {
        const value = JSON.parse(message.payload ?? "null") as CryptoPrice;
        expect(message.key).toBe(value.instrument);
        expect(message.headers).toEqual({
          "content-type": "application/json",
          [HEADER.kind]: "price",
          [HEADER.schema]: recordSchemaId("price"),
          [HEADER.schemaVersion]: String(RECORD_KIND_DEFINITIONS.price.schemaVersion),
          [HEADER.source]: value.source,
        });
        const validated = validateRecord("price", value);
        expect(validated.ok && validated.value).toEqual(value);
      }
      // Per-key order: each coin's prices come back in the order they were written.
      for (const coin of coins) {
        const written = records
          .filter((record) => record.coinId === coin)
          .map((record) => record.lastUpdated);
        const read = messages
          .filter((message) => message.key === coin)
          .map((message) => JSON.parse(message.payload ?? "{}").lastUpdated);
        expect(read).toEqual(written);
      }
    });

    it("puts each key on the partition librdkafka's murmur2 partitioner (the Java client's) picks", () => {
      const topic = `${prefix}crypto-prices`;
      // The topic already holds the target's messages for these keys; kcat adds one per key.
      kcatProduce(
        requireKcat(),
        requireKafkaBrokers(),
        topic,
        coins.map((coin) => ({ key: coin, value: JSON.stringify({ from: "kcat" }) })),
      );
      const messages = kcatConsume(requireKcat(), requireKafkaBrokers(), topic);
      const partitionsByKey = new Map<string, Set<number>>();
      for (const message of messages) {
        const set = partitionsByKey.get(message.key ?? "") ?? new Set<number>();
        set.add(message.partition);
        partitionsByKey.set(message.key ?? "", set);
      }
      expect(messages.filter((message) => message.payload?.includes('"from":"kcat"'))).toHaveLength(
        coins.length,
      );
      for (const coin of coins) expect([...(partitionsByKey.get(coin) ?? [])], coin).toHaveLength(1);
      // Forty keys over twelve partitions: most partitions are used, so the check means something.
      const used = new Set([...partitionsByKey.values()].flatMap((set) => [...set]));
      expect(used.size).toBeGreaterThan(8);
    });
  },
);
