import { DEAD_LETTER_HEADER } from "@qicore/kafka-common";
import { describe, expect, it } from "vitest";
import type { OutgoingMessage } from "./client/types";
import { boundedCopy, DeadLetterSender, sizeOf } from "./dead-letter-sender";

const letter = (valueBytes: number, extraHeaders: Record<string, string> = {}): OutgoingMessage => ({
  key: "poison",
  value: Buffer.alloc(valueBytes, 0x61),
  headers: {
    note: "kept",
    ...extraHeaders,
    [DEAD_LETTER_HEADER.code]: "VALIDATION_FAILED",
    [DEAD_LETTER_HEADER.message]: "padding: unknown field",
    [DEAD_LETTER_HEADER.originTopic]: "prices",
    [DEAD_LETTER_HEADER.originPartition]: "0",
    [DEAD_LETTER_HEADER.originOffset]: "1000",
  },
});

const tooLarge = () =>
  Object.assign(new Error("The request included a message larger than the max message size"), {
    name: "KafkaJSProtocolError",
    type: "MESSAGE_TOO_LARGE",
  });

describe("boundedCopy", () => {
  it("keeps the reason and origin headers, the key, the original headers and the first bytes, and says what it cut", () => {
    const original = letter(5_000_000);
    const copy = boundedCopy(original, 1_000_000);
    expect(copy.key).toBe("poison");
    expect(copy.value?.length).toBe(64 * 1024);
    expect(copy.value?.equals((original.value as Buffer).subarray(0, 64 * 1024))).toBe(true);
    expect(copy.headers).toMatchObject({
      note: "kept",
      [DEAD_LETTER_HEADER.code]: "VALIDATION_FAILED",
      [DEAD_LETTER_HEADER.originOffset]: "1000",
      [DEAD_LETTER_HEADER.truncated]: "value",
      [DEAD_LETTER_HEADER.originalBytes]: "5000000",
    });
    expect(sizeOf(copy)).toBeLessThan(1_000_000);
  });

  it("drops original headers that alone would not fit, and cuts a huge key", () => {
    const original = { ...letter(100_000, { huge: "h".repeat(50_000) }), key: "k".repeat(5000) };
    const copy = boundedCopy(original, 40_000);
    expect(copy.headers.huge).toBeUndefined();
    expect(copy.headers.note).toBeUndefined();
    expect(copy.headers[DEAD_LETTER_HEADER.truncated]).toBe("value,headers,key");
    expect(copy.headers[DEAD_LETTER_HEADER.code]).toBe("VALIDATION_FAILED");
    expect((copy.key as Buffer).length).toBe(1024);
    expect(sizeOf(copy)).toBeLessThanOrEqual(40_000);
  });
});

describe("DeadLetterSender", () => {
  it("sends what fits as it is, bounds what does not, and makes each send fit the topic's limit", async () => {
    const sends: OutgoingMessage[][] = [];
    const sender = new DeadLetterSender(
      async (messages) => {
        sends.push([...messages]);
      },
      () => 300_000,
    );
    const { bounded } = await sender.deliver([
      letter(200_000),
      letter(10),
      letter(200_000),
      letter(2_000_000),
    ]);
    expect(bounded).toBe(1);
    expect(sends.map((messages) => messages.map((message) => message.value?.length))).toEqual([
      [200_000, 10],
      [200_000, 64 * 1024],
    ]);
  });

  it("when the brokers still say too large, sends one by one, bounding the one they refuse until it fits", async () => {
    const sends: number[][] = [];
    const sender = new DeadLetterSender(
      async (messages) => {
        if (messages.some((message) => (message.value?.length ?? 0) > 50_000)) throw tooLarge();
        sends.push(messages.map((message) => message.value?.length ?? 0));
      },
      // The topic said more than the brokers take.
      () => 1_000_000,
    );
    const { bounded } = await sender.deliver([letter(10), letter(100_000)]);
    expect(bounded).toBe(1);
    expect(sends).toHaveLength(2);
    expect(sends[0]).toEqual([10]);
    expect(sends[1]?.[0]).toBeGreaterThan(0);
    expect(sends[1]?.[0]).toBeLessThanOrEqual(50_000);
  });

  it("passes on a failure that is not about size (the broker is away: the read is retried)", async () => {
    const sender = new DeadLetterSender(
      async () => {
        throw Object.assign(new Error("connect ECONNREFUSED"), { name: "KafkaJSConnectionError" });
      },
      () => 1_000_000,
    );
    await expect(sender.deliver([letter(10)])).rejects.toThrow("ECONNREFUSED");
  });
});
