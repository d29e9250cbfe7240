import { describe, expect, it } from "vitest";
import { toInstrument } from "./instruments";
import { candlesFromSeries } from "./mappers";
import { formatWall, instantsOfWall, parseWall, wallToInstant } from "./time-zones";

const NEW_YORK = "America/New_York";
const wall = (text: string) => parseWall(text) as number;
const iso = (ms: number) => new Date(ms).toISOString();

describe("wall times of an exchange to UTC", () => {
  it("New York's offset changes with the clocks: 09:30 is 14:30Z in winter, 13:30Z from the second Sunday of March, 14:30Z again from the first Sunday of November", () => {
    expect(iso(wallToInstant(wall("2024-03-08 09:30:00"), NEW_YORK))).toBe("2024-03-08T14:30:00.000Z");
    expect(iso(wallToInstant(wall("2024-03-11 09:30:00"), NEW_YORK))).toBe("2024-03-11T13:30:00.000Z");
    expect(iso(wallToInstant(wall("2024-11-01 09:30:00"), NEW_YORK))).toBe("2024-11-01T13:30:00.000Z");
    expect(iso(wallToInstant(wall("2024-11-04 09:30:00"), NEW_YORK))).toBe("2024-11-04T14:30:00.000Z");
  });

  it("a time in the spring gap does not exist and is read as after the jump; one in the autumn overlap exists twice", () => {
    expect(instantsOfWall(wall("2024-03-10 02:30:00"), NEW_YORK)).toEqual([]);
    expect(iso(wallToInstant(wall("2024-03-10 02:30:00"), NEW_YORK))).toBe("2024-03-10T07:30:00.000Z");
    expect(instantsOfWall(wall("2024-11-03 01:30:00"), NEW_YORK).map(iso)).toEqual([
      "2024-11-03T05:30:00.000Z",
      "2024-11-03T06:30:00.000Z",
    ]);
  });

  it("formats instants back into start_date wall times", () => {
    expect(formatWall(Date.parse("2024-03-11T13:30:00Z"), NEW_YORK)).toBe("2024-03-11T09:30:00");
    expect(formatWall(Date.parse("2024-03-11T13:30:00Z"), "UTC")).toBe("2024-03-11T13:30:00");
  });
});

describe("candles on an exchange's clock", () => {
  const instrument = toInstrument({ symbol: "ES", assetClass: "future", currency: "USD" });
  const identity = { exchangeId: "xcme", quote: "USD", timeZone: NEW_YORK };
  const series = (datetimes: string[]) => ({
    meta: { symbol: "ES", interval: "1h", exchange_timezone: NEW_YORK },
    values: datetimes.map((datetime) => ({ datetime, open: "1", high: "2", low: "0.5", close: "1.5" })),
  });

  it("an hourly series through the November overlap gets 01:00 twice, an hour apart, in order (newest-first answers too)", () => {
    const newestFirst = [
      "2024-11-03 03:00:00",
      "2024-11-03 02:00:00",
      "2024-11-03 01:00:00",
      "2024-11-03 01:00:00",
      "2024-11-03 00:00:00",
    ];
    const { candles } = candlesFromSeries(
      instrument,
      identity,
      series(newestFirst),
      "1h",
      Date.parse("2024-11-04T00:00:00Z"),
    );
    expect(candles.map((candle) => iso(Number(candle.timestamp)))).toEqual([
      "2024-11-03T04:00:00.000Z",
      "2024-11-03T05:00:00.000Z",
      "2024-11-03T06:00:00.000Z",
      "2024-11-03T07:00:00.000Z",
      "2024-11-03T08:00:00.000Z",
    ]);
  });

  it("an hourly series through the March gap skips the hour that does not exist", () => {
    const { candles } = candlesFromSeries(
      instrument,
      identity,
      series(["2024-03-10 03:00:00", "2024-03-10 01:00:00", "2024-03-10 00:00:00"]),
      "1h",
      Date.parse("2024-03-11T00:00:00Z"),
    );
    expect(candles.map((candle) => iso(Number(candle.timestamp)))).toEqual([
      "2024-03-10T05:00:00.000Z",
      "2024-03-10T06:00:00.000Z",
      "2024-03-10T07:00:00.000Z",
    ]);
  });

  it("daily candles open at New York's midnight: 05:00Z before the March switch, 04:00Z after; the current day is not final until its local midnight", () => {
    const daily = {
      meta: { symbol: "ES", interval: "1day", exchange_timezone: NEW_YORK },
      values: series(["2024-03-11", "2024-03-08"]).values,
    };
    const { candles } = candlesFromSeries(
      instrument,
      identity,
      daily,
      "1day",
      Date.parse("2024-03-12T03:59:00Z"),
    );
    expect(
      candles.map((candle) => [iso(Number(candle.timestamp)), candle.isFinal, candle.timeframe]),
    ).toEqual([
      ["2024-03-08T05:00:00.000Z", true, "1d"],
      ["2024-03-11T04:00:00.000Z", false, "1d"],
    ]);
  });
});
