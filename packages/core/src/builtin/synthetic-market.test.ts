import { describe, expect, it } from "vitest";
import { decimalText, unitNoise } from "./synthetic-market";

describe("decimalText", () => {
  it("matches toFixed with trailing zeros trimmed", () => {
    const cases: [number, number][] = [
      [67012.5, 8],
      [0.000123456789, 12],
      [-3.25, 4],
      [1330000000000.456, 2],
      [0, 8],
      [-0.00000000001, 8],
      [42, 2],
      [1e20, 2],
      [0.1 + 0.2, 8],
    ];
    for (const [value, decimals] of cases) {
      const expected = value
        .toFixed(decimals)
        .replace(/(\.\d*?)0+$/, "$1")
        .replace(/\.$/, "")
        .replace(/^-0$/, "0");
      expect(decimalText(value, decimals), `${value} with ${decimals}`).toBe(expected);
    }
  });

  // Rounding value × 10^8 in binary can differ from toFixed's exact rounding by one unit in
  // the last place (synthetic data does not care); the text is otherwise the same number.
  it("stays within one unit in the last place of toFixed on many generated prices", () => {
    for (let index = 0; index < 10_000; index++) {
      const value = (unitNoise(1, 2, index) - 0.2) * 10 ** Math.floor(unitNoise(3, 4, index) * 8);
      const expected = value
        .toFixed(8)
        .replace(/(\.\d*?)0+$/, "$1")
        .replace(/\.$/, "")
        .replace(/^-0$/, "0");
      const text = decimalText(value, 8);
      expect(text).toMatch(/^-?\d+(\.\d*[1-9])?$/);
      const difference = units(text, 8) - units(expected, 8);
      expect(difference >= -1n && difference <= 1n, `${text} vs ${expected}`).toBe(true);
    }
  });
});

/** A decimal text as an integer count of 10^-decimals units, exactly. */
function units(text: string, decimals: number): bigint {
  const negative = text.startsWith("-");
  const [whole = "0", fraction = ""] = (negative ? text.slice(1) : text).split(".");
  const value = BigInt(whole + fraction.padEnd(decimals, "0"));
  return negative ? -value : value;
}
