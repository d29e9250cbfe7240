import { describe, expect, it } from "vitest";
import { DecimalSum, orderingNumber } from "./decimal-sum";
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
});
