import { describe, expect, it } from "vitest";
import { IsoTimes } from "./iso-times";

const printed = (ms: number) => {
  try {
    return new Date(ms).toISOString();
  } catch (thrown) {
    return `${(thrown as Error).name}: ${(thrown as Error).message}`;
  }
};
const formatted = (times: IsoTimes, ms: number) => {
  try {
    return times.format(ms);
  } catch (thrown) {
    return `${(thrown as Error).name}: ${(thrown as Error).message}`;
  }
};

describe("IsoTimes", () => {
  it("prints what toISOString prints, in runs of milliseconds and across seconds, days, years and the edges", () => {
    const times = new IsoTimes();
    const values: number[] = [];
    // A trade stream: consecutive milliseconds across second boundaries, repeats included.
    for (let ms = Date.UTC(2026, 0, 1) - 1_500; ms < Date.UTC(2026, 0, 1) + 2_500; ms += 7)
      values.push(ms, ms);
    values.push(
      0,
      999,
      1000,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    );
    values.push(
      Date.UTC(10000, 0, 1),
      -1,
      -1_000,
      1.5,
      8.64e15,
      8.64e15 + 1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
    );
    let seed = 7;
    for (let index = 0; index < 2_000; index++) {
      seed = (seed * 48_271) % 2_147_483_647;
      values.push(Math.floor((seed / 2_147_483_647) * 253_402_300_800_000));
    }
    for (const ms of values) expect(formatted(times, ms), String(ms)).toBe(printed(ms));
  });
});
