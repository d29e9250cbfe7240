import { z } from "zod";
import { parseDuration } from "../util/duration";

/** A candle width in a processor's options, e.g. `1m`, `4h`, `1d`, `1w` (the records' Timeframe). */
export const candleWidth = z
  .string()
  .regex(/^[1-9]\d{0,3}(m|h|d|w)$/, "a width such as 1m, 5m, 1h, 4h, 1d or 1w");

// Buckets start on the same grid as TimescaleDB's time_bucket (weeks start on Monday, 2000-01-03).
const ORIGIN = Date.UTC(2000, 0, 3);

/** Milliseconds of a candle width (`1m`, `4h`, `1d`, `1w`). */
export function widthMs(timeframe: string): number {
  const ms = parseDuration(timeframe);
  if (ms === undefined || ms <= 0) throw new RangeError(`not a candle width: ${timeframe}`);
  return ms;
}

/** Open time of the bucket of `width` holding `time`. */
export function bucketStart(time: number, width: number): number {
  return ORIGIN + Math.floor((time - ORIGIN) / width) * width;
}
