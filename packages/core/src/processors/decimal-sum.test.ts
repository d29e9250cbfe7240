import { describe, expect, it } from "vitest";
import { DecimalSum, orderingNumber, scaleOf, unitsOf } from "./decimal-sum";
import { addDecimal } from "./decimal-text";

describe("DecimalSum", () => {
  it("adds decimals of different scales exactly, where floats would not", () => {
    const sum = new DecimalSum("0.1");
    sum.add("0.2");
    expect(sum.toString()).toBe("0.3");
    expect(0.1 + 0.2).not.toBe(0.3);
    sum.add("3");
    sum.add("0.000001");
    expect(sum.toString()).toBe("3.300001");
  });

  it("keeps adding exactly past 2^53 units, as text", () => {
    const sum = new DecimalSum("99999999.12345678");
    let expected = "99999999.12345678";
    for (let index = 0; index < 200; index++) {
      sum.add("12345678.87654321");
      expected = addDecimal(expected, "12345678.87654321");
    }
    sum.add("0.123456789012345678");
    expected = addDecimal(expected, "0.123456789012345678");
    expect(sum.toString()).toBe(expected);
  });

  it("sums negatives and trims trailing zeros like the decimal text helpers", () => {
    const sum = new DecimalSum("1.50");
    sum.add("-2.25");
    expect(sum.toString()).toBe("-0.75");
  });
});

describe("orderingNumber", () => {
  it("orders short decimals as numbers and refuses long ones", () => {
    expect(orderingNumber("67012.12345678")).toBeLessThan(orderingNumber("67012.12345679"));
    expect(Number.isNaN(orderingNumber("67012.123456789012"))).toBe(true);
  });

  it("is the very double Number() parses, for every kind of short decimal", () => {
    // A fixed pseudo-random walk, so a failure names a value that fails again.
    let seed = 7;
    const next = () => {
      seed = (seed * 48271) % 2147483647;
      return seed;
    };
    for (let index = 0; index < 20_000; index++) {
      const whole = String(next() % 10 ** (next() % 9));
      const scale = next() % 9;
      const fraction = String(next()).padStart(10, "0").slice(0, scale);
      const text = `${next() % 5 === 0 ? "-" : ""}${whole}${scale > 0 ? `.${fraction}` : ""}`;
      // Longer texts may carry more digits than a double orders exactly.
      expect(orderingNumber(text), text).toBe(text.length <= 16 ? Number(text) : Number.NaN);
    }
    expect(orderingNumber("0.1")).toBe(0.1);
    expect(orderingNumber("-0.30")).toBe(-0.3);
    expect(orderingNumber("123456789012345")).toBe(123456789012345);
  });
});

describe("unitsOf", () => {
  it("reads the digits as units at the text's own scale", () => {
    expect(unitsOf("1.25", scaleOf("1.25"))).toBe(125);
    expect(unitsOf("-0.005", scaleOf("-0.005"))).toBe(-5);
    expect(unitsOf("42", 0)).toBe(42);
  });

  it("refuses what it cannot read exactly (too long, not a plain decimal)", () => {
    expect(Number.isNaN(unitsOf("12345678901234567", 0))).toBe(true);
    expect(Number.isNaN(unitsOf("1e5", 0))).toBe(true);
    expect(Number.isNaN(unitsOf("-", 0))).toBe(true);
  });
});
