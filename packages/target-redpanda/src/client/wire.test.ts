import { describe, expect, it } from "vitest";
import { toMessages } from "./producer-thread";
import type { HeaderValue, TopicMessages } from "./types";
import { packBatch, unpackBatch } from "./wire";

describe("the producer thread's wire format", () => {
  const shared: Record<string, HeaderValue> = { "content-type": "application/json", "qicore-kind": "price" };
  const batch: TopicMessages[] = [
    {
      topic: "crypto-prices",
      messages: [
        { key: "bitcoin", value: Buffer.from('{"coin":"bitcoin"}'), headers: shared },
        { key: "ethereum", value: Buffer.from('{"coin":"ethereum"}'), headers: shared },
        { key: null, value: Buffer.from("keyless"), headers: {} },
      ],
    },
    {
      topic: "crypto-dead-letters",
      messages: [
        {
          key: "ünïcødé-€",
          value: Buffer.from([0xff, 0x00, 0xfe]),
          headers: { raw: Buffer.from([1, 2, 3]), text: "why" },
        },
        { key: "", value: Buffer.alloc(0), headers: shared },
      ],
    },
  ];

  it("gives back every message with its topic, key, value and headers", () => {
    const wire = packBatch(batch);
    const messages = [...unpackBatch(wire)];
    const expected = batch.flatMap(({ topic, messages: sent }) =>
      sent.map((message) => ({ topic, message })),
    );
    expect(messages).toHaveLength(expected.length);
    messages.forEach((message, index) => {
      const sent = expected[index];
      expect(message.topic).toBe(sent?.topic);
      expect(message.key?.toString("utf8") ?? null).toBe(sent?.message.key);
      expect(Buffer.compare(message.value, sent?.message.value ?? Buffer.alloc(1))).toBe(0);
      expect(Object.fromEntries(wire.headerSets[message.headerSet] ?? [])).toEqual(sent?.message.headers);
    });
  });

  it("sends a header object shared by many messages once", () => {
    expect(packBatch(batch).headerSets).toHaveLength(3);
  });

  it("becomes the library's messages: byte headers, one header map per set, no key for a keyless message", () => {
    const messages = toMessages(packBatch(batch));
    expect(messages.map((message) => message.topic)).toEqual([
      "crypto-prices",
      "crypto-prices",
      "crypto-prices",
      "crypto-dead-letters",
      "crypto-dead-letters",
    ]);
    expect(messages[2]?.key).toBeUndefined();
    expect(messages[0]?.headers).toBe(messages[1]?.headers);
    const deadLetterHeaders = [...((messages[3]?.headers as Map<Buffer, Buffer>) ?? new Map())].map(
      ([name, value]) => [name.toString(), [...value]],
    );
    expect(deadLetterHeaders).toEqual([
      ["raw", [1, 2, 3]],
      ["text", [...Buffer.from("why")]],
    ]);
  });
});
