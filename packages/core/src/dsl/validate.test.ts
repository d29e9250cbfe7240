import { describe, expect, it } from "vitest";
import { validateRecord, validateRecords } from "./validate";

const price = {
  coinId: "bitcoin",
  symbol: "BTC",
  usdPrice: "12345678901.12345678",
  lastUpdated: "2024-03-01T12:00:00+02:00",
  source: "test",
  attribution: "test data",
};

describe("record validation", () => {
  it("keeps decimal strings exact and normalises times to UTC", () => {
    const result = validateRecord("price", price);
    expect(result.ok && result.value).toMatchObject({
      usdPrice: "12345678901.12345678",
      lastUpdated: "2024-03-01T10:00:00.000Z",
      exchangeId: "aggregate",
    });
  });

  it("turns numbers into decimal text without float noise, exponent notation included", () => {
    const result = validateRecord("price", {
      ...price,
      usdPrice: 1.5e-7,
      marketCap: 1.33e12,
      lastUpdated: 1_700_000_000_000,
    });
    expect(result.ok && result.value).toMatchObject({
      usdPrice: "0.00000015",
      marketCap: "1330000000000",
      lastUpdated: "2023-11-14T22:13:20.000Z",
    });
  });

  it("names every wrong field", () => {
    const result = validateRecord("price", { ...price, coinId: "Bit Coin", usdPrice: "12e", extra: true });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = (result.error.context.issues as { path: string }[]).map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(["coinId", "usdPrice"]));
    expect(result.error.message).toMatch(/Unrecognized key.*extra/);
    expect(result.error.code).toBe("VALIDATION_FAILED");
  });

  it("refuses values that would overflow their NUMERIC column", () => {
    const result = validateRecord("price", { ...price, usdPrice: "1234567890123.5" });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toContain("NUMERIC(20,8)");
  });

  it("separates valid from invalid records in a batch, keeping indexes", () => {
    const { valid, validIndexes, invalid } = validateRecords("price", [
      price,
      { ...price, usdPrice: "x" },
      price,
    ]);
    expect(valid).toHaveLength(2);
    expect(validIndexes).toEqual([0, 2]);
    expect(invalid.map((entry) => entry.index)).toEqual([1]);
  });

  it("says a candle's timestamp is the bucket's open time and carries isFinal", () => {
    const result = validateRecord("ohlcv", {
      coinId: "bitcoin",
      timestamp: "2024-01-01T00:00:00Z",
      timeframe: "1h",
      open: 1,
      high: 2,
      low: 0.5,
      close: 1.5,
      source: "test",
      attribution: "test data",
    });
    expect(result.ok && result.value).toMatchObject({ isFinal: true, timestamp: "2024-01-01T00:00:00.000Z" });
    // No invented volume: a provider without volume leaves the field out.
    expect(result.ok && "volume" in result.value).toBe(false);
    expect(validateRecord("ohlcv", { timeframe: "1 hour" }).ok).toBe(false);
  });
});
