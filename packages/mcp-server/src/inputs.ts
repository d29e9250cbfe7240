import { err, ok, type QiError, qiError, type Result } from "@qicore/core";
import { z } from "zod";
import { DAY_MS, LIMITS } from "./limits";

/** The DSL's identifier pattern (coin and exchange ids): what the record schemas accept. */
export const IDENTIFIER = /^[a-z0-9][a-z0-9._-]*$/;
/** A candle width: a number and a unit, as the DSL's `Timeframe`. */
export const WIDTH = /^[1-9]\d{0,3}(m|h|d|w)$/;
/** Ids of sources and targets in a pipeline file. */
export const ADAPTER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS };
// The latest instant with a four-digit year: later dates are not RFC 3339.
const MAX_TIME_MS = 253_402_300_799_999;

/** A bad value, quoted and shortened, for messages that say what was received. */
export function quoted(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

const identifierMessage = (what: string, example: string) => (issue: { input?: unknown }) =>
  `${quoted(issue.input)} is not ${what}: use lowercase letters, digits, '.', '_' or '-' (at most 50 characters), such as "${example}"`;

/** A coin id as the DSL defines it (`bitcoin`, `usd-coin`). Anything else, SQL included, is refused. */
export const coinIdInput = z
  .string()
  .min(1, { error: "a coin id cannot be empty" })
  .max(50, { error: identifierMessage("a coin id", "bitcoin") })
  .regex(IDENTIFIER, { error: identifierMessage("a coin id", "bitcoin") })
  .describe("Coin id as the pipeline stores it, e.g. `bitcoin`, `ethereum`, `usd-coin`.");

export const exchangeIdInput = z
  .string()
  .min(1, { error: "an exchange id cannot be empty" })
  .max(50, { error: identifierMessage("an exchange id", "aggregate") })
  .regex(IDENTIFIER, { error: identifierMessage("an exchange id", "aggregate") })
  .describe("Exchange id, or `aggregate` for prices aggregated across exchanges.");

export const timeInput = z
  .string()
  .max(40, { error: "a time is at most 40 characters, e.g. 2024-01-01T00:00:00Z" })
  .refine((value) => parseTime(value) !== undefined, {
    error: (issue) =>
      `${quoted(issue.input)} is not a time: use ISO-8601 with a time zone (2024-01-01T00:00:00Z) or a date (2024-01-01, UTC midnight)`,
  })
  .describe("ISO-8601 time with a zone, e.g. `2024-01-01T00:00:00Z`, or a date `2024-01-01` (UTC midnight).");

export const limitInput = z
  .number()
  .int({ error: "limit must be a whole number" })
  .min(1, { error: "limit must be at least 1" })
  .max(LIMITS.maxRows, { error: `limit must be at most ${LIMITS.maxRows}` })
  .describe(`Most rows to return (1-${LIMITS.maxRows}, default ${LIMITS.defaultRows}).`);

export const widthInput = z
  .string()
  .regex(WIDTH, {
    error: (issue) =>
      `${quoted(issue.input)} is not a candle width: use a number and a unit m, h, d or w, such as 5m, 1h, 4h, 1d or 1w`,
  })
  .describe("Candle width: a number and a unit (m, h, d, w), e.g. `5m`, `1h`, `4h`, `1d`, `1w`.");

export const adapterIdInput = (role: "source" | "target") =>
  z
    .string()
    .regex(ADAPTER_ID, { error: (issue) => `${quoted(issue.input)} is not a ${role} id of this pipeline` })
    .describe(`Id of a ${role} in the pipeline file; the first suitable one when absent.`);

/** Milliseconds since the epoch of an ISO-8601 time with a zone or a plain date; undefined when neither. */
export function parseTime(value: string): number | undefined {
  if (!DATE_ONLY.test(value) && !DATE_TIME.test(value)) return undefined;
  const ms = Date.parse(DATE_ONLY.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms) || ms < 0 || ms > MAX_TIME_MS) return undefined;
  // Date.parse rolls 2024-02-30 over to March; a date that does not exist is refused instead.
  const day = value.slice(0, 10);
  if (DATE_ONLY.test(value) && new Date(ms).toISOString().slice(0, 10) !== day) return undefined;
  return ms;
}

/** Milliseconds of a candle width such as `4h`; undefined when not a width. */
export function widthMs(width: string): number | undefined {
  const match = WIDTH.exec(width);
  if (!match) return undefined;
  return Number(width.slice(0, -1)) * (UNIT_MS[match[1] as string] as number);
}

export interface TimeRange {
  start: Date;
  end: Date;
}

/**
 * Checks a query's time range: start before end, at most LIMITS.maxRangeDays long.
 * Without an end the range ends now; without a start it covers the day before the end.
 */
export function resolveRange(
  start: string | undefined,
  end: string | undefined,
  now = Date.now(),
): Result<TimeRange, QiError> {
  const endMs = end === undefined ? now : parseTime(end);
  if (endMs === undefined) return err(invalidInput(`end ${quoted(end)} is not a time`, { end }));
  const startMs = start === undefined ? endMs - DAY_MS : parseTime(start);
  if (startMs === undefined) return err(invalidInput(`start ${quoted(start)} is not a time`, { start }));
  const startText = new Date(startMs).toISOString();
  const endText = new Date(endMs).toISOString();
  if (startMs >= endMs) {
    return err(
      invalidInput(`the range is inverted or empty: start ${startText} is not before end ${endText}`, {
        start: startText,
        end: endText,
      }),
    );
  }
  const days = (endMs - startMs) / DAY_MS;
  if (days > LIMITS.maxRangeDays) {
    return err(
      invalidInput(
        `the range from ${startText} to ${endText} is ${Math.ceil(days)} days long; at most ${LIMITS.maxRangeDays} days per query: narrow it or make several calls`,
        { start: startText, end: endText, maxDays: LIMITS.maxRangeDays },
      ),
    );
  }
  return ok({ start: new Date(startMs), end: new Date(endMs) });
}

/** Refuses a get_ohlcv call that would produce more candles than LIMITS.maxBuckets. */
export function checkBuckets(range: TimeRange, width: string): Result<number, QiError> {
  const size = widthMs(width);
  if (size === undefined) return err(invalidInput(`${quoted(width)} is not a candle width`, { width }));
  const buckets = Math.ceil((range.end.getTime() - range.start.getTime()) / size);
  if (buckets > LIMITS.maxBuckets) {
    return err(
      invalidInput(
        `${width} candles from ${range.start.toISOString()} to ${range.end.toISOString()} are ${buckets} candles; at most ${LIMITS.maxBuckets} per call: use a wider width or a shorter range`,
        { width, buckets, maxBuckets: LIMITS.maxBuckets },
      ),
    );
  }
  return ok(buckets);
}

/** A VALIDATION QiError about a tool's input. */
export function invalidInput(message: string, context: Record<string, unknown> = {}): QiError {
  return qiError("VALIDATION_FAILED", message, { context });
}
