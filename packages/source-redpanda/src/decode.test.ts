import type { CryptoPrice } from "@qicore/core";
import { sampleRecords } from "@qicore/core/testing";
import { describe, expect, it } from "vitest";
import type { ConsumedMessage } from "./client/types";
import { DEAD_LETTER_HEADER, deadLetterMessage, decodeMessage } from "./decode";

const message = (
  value: string | Buffer | null,
  headers: ConsumedMessage["headers"] = {},
): ConsumedMessage => ({
  offset: "42",
  key: Buffer.from("bitcoin"),
  value: typeof value === "string" ? Buffer.from(value) : value,
  headers,
  timestamp: "1717000000000",
});

describe("decodeMessage", () => {
  it("normalises what other producers send (numbers, epoch times, missing defaults) to the canonical record", () => {
    const decoded = decodeMessage(
      "price",
      "prices",
      message(
        JSON.stringify({
          coinId: "bitcoin",
          symbol: "BTC",
          usdPrice: 64000.5,
          lastUpdated: 1_717_000_000_000,
          source: "kcat",
          attribution: "test",
        }),
      ),
    );
    expect(decoded.ok && decoded.record).toMatchObject({
      usdPrice: "64000.5",
      exchangeId: "aggregate",
      lastUpdated: "2024-05-29T16:26:40.000Z",
    });
  });

  it("accepts a record the target wrote, headers included", async () => {
    const [record] = (await sampleRecords("price", 1)) as CryptoPrice[];
    const decoded = decodeMessage(
      "price",
      "prices",
      message(JSON.stringify(record), { "qicore-kind": Buffer.from("price") }),
    );
    expect(decoded.ok && decoded.record).toEqual(record);
  });

  it.each([
    ["an empty value", message(""), "EMPTY_MESSAGE"],
    ["a tombstone", message(null), "EMPTY_MESSAGE"],
    ["bytes that are not UTF-8", message(Buffer.from([0xc3, 0x28])), "DECODE_FAILED"],
    ["text that is not JSON", message("{nope"), "DECODE_FAILED"],
    ["JSON of another shape", message('{"hello":"world"}'), "VALIDATION_FAILED"],
    [
      "a wrong type",
      message(
        '{"coinId":"bitcoin","symbol":"BTC","usdPrice":true,"lastUpdated":1,"source":"s","attribution":"a"}',
      ),
      "VALIDATION_FAILED",
    ],
    [
      "JSON whose text holds a byte that is not UTF-8",
      message(Buffer.concat([Buffer.from('{"coinId":"bit'), Buffer.from([0xff]), Buffer.from('coin"}')])),
      "DECODE_FAILED",
    ],
    ["another kind's header", message("{}", { "qicore-kind": "ohlcv" }), "KIND_MISMATCH"],
    [
      "another kind's header as bytes",
      message("{}", { "qicore-kind": Buffer.from("ohlcv") }),
      "KIND_MISMATCH",
    ],
    ["a longer kind header", message("{}", { "qicore-kind": Buffer.from("prices") }), "KIND_MISMATCH"],
    ["an empty kind header", message("{}", { "qicore-kind": Buffer.alloc(0) }), "KIND_MISMATCH"],
  ])("refuses %s", (_label, input, code) => {
    const decoded = decodeMessage("price", "prices", input);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) {
      expect(decoded.rejection.code).toBe(code);
      expect(decoded.rejection.message.length).toBeGreaterThan(10);
    }
  });
});

describe("decodeMessage on records as the target writes them", () => {
  it("returns each canonical record exactly, whatever the kind header's form", async () => {
    const records = (await sampleRecords("price", 50)) as CryptoPrice[];
    for (const [index, record] of records.entries()) {
      const kindHeader = index % 2 === 0 ? Buffer.from("price") : "price";
      const decoded = decodeMessage(
        "price",
        "prices",
        message(JSON.stringify(record), { "qicore-kind": kindHeader }),
      );
      expect(decoded.ok && decoded.record).toStrictEqual(record);
    }
  });

  it("names the header's kind when it refuses one", () => {
    const decoded = decodeMessage("price", "prices", message("{}", { "qicore-kind": Buffer.from("ohlcv") }));
    expect(decoded.ok).toBe(false);
    if (!decoded.ok)
      expect(decoded.rejection.message).toContain('says "ohlcv" but topic prices carries price');
  });

  it("still reports the schema's reasons for a canonical-looking record that is not valid", async () => {
    const [record] = (await sampleRecords("price", 1)) as CryptoPrice[];
    const decoded = decodeMessage(
      "price",
      "prices",
      message(
        JSON.stringify({ ...record, usdPrice: "123456789012345.5", lastUpdated: "2024-02-30T00:00:00.000Z" }),
      ),
    );
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) {
      expect(decoded.rejection.code).toBe("VALIDATION_FAILED");
      expect(decoded.rejection.message).toContain(
        "usdPrice: 123456789012345.5 has more than 12 integer digits",
      );
      expect(decoded.rejection.message).toContain("lastUpdated: Invalid ISO datetime");
    }
  });
});

describe("deadLetterMessage", () => {
  it("keeps key, bytes and headers and adds why and where from", () => {
    const original = message("{nope", { trace: Buffer.from("abc") });
    const letter = deadLetterMessage(
      original,
      { topic: "prices", partition: 3, sourceId: "in" },
      { code: "DECODE_FAILED", message: "the value is not JSON" },
      "2024-01-01T00:00:00.000Z",
    );
    expect(letter.key).toEqual(original.key);
    expect(letter.value).toEqual(original.value);
    expect(letter.headers.trace).toEqual(Buffer.from("abc"));
    expect(letter.headers).toMatchObject({
      [DEAD_LETTER_HEADER.code]: "DECODE_FAILED",
      [DEAD_LETTER_HEADER.originTopic]: "prices",
      [DEAD_LETTER_HEADER.originPartition]: "3",
      [DEAD_LETTER_HEADER.originOffset]: "42",
      [DEAD_LETTER_HEADER.sourceId]: "in",
    });
  });
});
