import { describe, expect, it } from "vitest";
import { checkBuckets, coinIdInput, parseTime, resolveRange, timeInput, widthInput, widthMs } from "./inputs";
import { DAY_MS, LIMITS } from "./limits";

describe("coin ids", () => {
  it("accepts the DSL's identifiers", () => {
    for (const coin of ["bitcoin", "usd-coin", "wrapped.eth", "a_b", "0x"]) {
      expect(coinIdInput.safeParse(coin).success, coin).toBe(true);
    }
  });

  it("refuses SQL, upper case, spaces and over-long ids, quoting what was sent", () => {
    const injection = coinIdInput.safeParse("bitcoin'; DROP TABLE crypto_prices;--");
    expect(injection.success).toBe(false);
    expect(injection.error?.issues[0]?.message).toContain(
      `"bitcoin'; DROP TABLE crypto_prices;--" is not a coin id`,
    );
    for (const coin of ["Bitcoin", "bit coin", "", "-btc", "a".repeat(51), "bitcoin\u0000"]) {
      expect(coinIdInput.safeParse(coin).success, JSON.stringify(coin)).toBe(false);
    }
  });
});

describe("times", () => {
  it("reads ISO-8601 with a zone and plain dates (UTC midnight)", () => {
    expect(parseTime("2024-01-01")).toBe(Date.UTC(2024, 0, 1));
    expect(parseTime("2024-01-01T12:30:00Z")).toBe(Date.UTC(2024, 0, 1, 12, 30));
    expect(parseTime("2024-01-01T12:30:00.250+02:00")).toBe(Date.UTC(2024, 0, 1, 10, 30, 0, 250));
  });

  it("refuses times without a zone, days that do not exist and words", () => {
    for (const text of ["2024-01-01T12:30:00", "2024-02-30", "yesterday", "1704067200000", "2024-13-01"]) {
      expect(parseTime(text), text).toBeUndefined();
      expect(timeInput.safeParse(text).success, text).toBe(false);
    }
  });
});

describe("ranges", () => {
  const now = Date.UTC(2024, 5, 1);

  it("defaults to the day before now", () => {
    const range = resolveRange(undefined, undefined, now);
    expect(range.ok && range.value.end.getTime()).toBe(now);
    expect(range.ok && range.value.start.getTime()).toBe(now - DAY_MS);
  });

  it("refuses an inverted or empty range, naming both ends", () => {
    const inverted = resolveRange("2024-02-01", "2024-01-01", now);
    expect(inverted.ok).toBe(false);
    expect(!inverted.ok && inverted.error.message).toBe(
      "the range is inverted or empty: start 2024-02-01T00:00:00.000Z is not before end 2024-01-01T00:00:00.000Z",
    );
    expect(resolveRange("2024-01-01", "2024-01-01", now).ok).toBe(false);
  });

  it(`refuses a range longer than ${LIMITS.maxRangeDays} days and accepts exactly that`, () => {
    const long = resolveRange("2022-01-01", "2024-01-01", now);
    expect(!long.ok && long.error.message).toContain(`730 days long; at most ${LIMITS.maxRangeDays} days`);
    expect(resolveRange("2023-01-01", "2024-01-02", now).ok).toBe(true);
    expect(resolveRange("2023-01-01", "2024-01-02T00:00:01Z", now).ok).toBe(false);
  });
});

describe("candle widths", () => {
  it("reads a number and a unit", () => {
    expect(widthMs("5m")).toBe(300_000);
    expect(widthMs("4h")).toBe(4 * 3_600_000);
    expect(widthMs("1w")).toBe(7 * DAY_MS);
    for (const width of ["0h", "1y", "h", "1.5h", "10000m"]) {
      expect(widthInput.safeParse(width).success, width).toBe(false);
    }
  });

  it(`refuses more than ${LIMITS.maxBuckets} candles in one call`, () => {
    const range = { start: new Date("2024-01-01T00:00:00Z"), end: new Date("2024-02-01T00:00:00Z") };
    expect(checkBuckets(range, "1h")).toEqual({ ok: true, value: 744 });
    const tooMany = checkBuckets(range, "1m");
    expect(!tooMany.ok && tooMany.error.message).toContain("are 44640 candles; at most 5000 per call");
  });
});
