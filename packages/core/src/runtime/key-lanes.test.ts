import { describe, expect, it } from "vitest";
import type { MarketRecord } from "../dsl/kinds";
import { splitByKey } from "./key-lanes";

const price = (instrument: string, minute: number, usdPrice: string) =>
  ({
    exchangeId: "aggregate",
    instrument,
    quote: "USD",
    lastUpdated: new Date(Date.UTC(2024, 0, 1, 0, minute)).toISOString(),
    usdPrice,
  }) as unknown as MarketRecord;

describe("splitByKey", () => {
  const records = Array.from({ length: 3000 }, (_, index) =>
    price(`coin-${index % 40}`, Math.floor(index / 40) % 25, String(index)),
  );

  it("puts every revision of a key in one lane, in the input's order, and loses nothing", () => {
    const parts = splitByKey("price", records, 3);
    expect(parts.flat()).toHaveLength(records.length);
    const laneOfKey = new Map<string, number>();
    parts.forEach((part, lane) => {
      let previous = -1;
      for (const record of part) {
        const { instrument, lastUpdated, usdPrice } = record as unknown as Record<string, string>;
        const key = `${instrument}|${lastUpdated}`;
        expect(laneOfKey.get(key) ?? lane).toBe(lane);
        laneOfKey.set(key, lane);
        expect(Number(usdPrice)).toBeGreaterThan(previous);
        previous = Number(usdPrice);
      }
    });
    expect(laneOfKey.size).toBe(1000);
  });

  it("spreads the keys over the lanes", () => {
    for (const part of splitByKey("price", records, 3)) {
      expect(part.length).toBeGreaterThan(records.length / 3 - 300);
      expect(part.length).toBeLessThan(records.length / 3 + 300);
    }
  });
});
