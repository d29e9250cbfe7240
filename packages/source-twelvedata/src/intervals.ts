/**
 * Twelve Data's candle intervals and the core's timeframes (`1month` is the core's `1mo`, a
 * calendar month).
 */
export const INTERVALS = [
  "1min",
  "5min",
  "15min",
  "30min",
  "45min",
  "1h",
  "2h",
  "4h",
  "8h",
  "1day",
  "1week",
  "1month",
] as const;

export type Interval = (typeof INTERVALS)[number];

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

interface IntervalFacts {
  /** The core's timeframe text. */
  timeframe: string;
  /**
   * Width in milliseconds; days and weeks are calendar days of the exchange (23 or 25 hours
   * across a clock change), and a month counts as its shortest (28 days), so row counts worked
   * out from it never fall short.
   */
  ms: number;
  /** Daily, weekly and monthly buckets start at the exchange's local midnight; the others are plain durations. */
  calendar: boolean;
}

const FACTS: Record<Interval, IntervalFacts> = {
  "1min": { timeframe: "1m", ms: MINUTE_MS, calendar: false },
  "5min": { timeframe: "5m", ms: 5 * MINUTE_MS, calendar: false },
  "15min": { timeframe: "15m", ms: 15 * MINUTE_MS, calendar: false },
  "30min": { timeframe: "30m", ms: 30 * MINUTE_MS, calendar: false },
  "45min": { timeframe: "45m", ms: 45 * MINUTE_MS, calendar: false },
  "1h": { timeframe: "1h", ms: HOUR_MS, calendar: false },
  "2h": { timeframe: "2h", ms: 2 * HOUR_MS, calendar: false },
  "4h": { timeframe: "4h", ms: 4 * HOUR_MS, calendar: false },
  "8h": { timeframe: "8h", ms: 8 * HOUR_MS, calendar: false },
  "1day": { timeframe: "1d", ms: DAY_MS, calendar: true },
  "1week": { timeframe: "1w", ms: 7 * DAY_MS, calendar: true },
  "1month": { timeframe: "1mo", ms: 28 * DAY_MS, calendar: true },
};

export function intervalFacts(interval: Interval): IntervalFacts {
  return FACTS[interval];
}

/** The Twelve Data interval of a core timeframe (`4h` → `4h`, `1d` → `1day`); undefined when there is none. */
export function intervalOfTimeframe(timeframe: string): Interval | undefined {
  return INTERVALS.find((interval) => FACTS[interval].timeframe === timeframe);
}

export function supportedTimeframes(): string[] {
  return INTERVALS.map((interval) => FACTS[interval].timeframe);
}

/**
 * The bucket a row belongs to, on the exchange's wall clock (ms of a UTC calendar, as
 * parseWall gives): where it opens and where the next one opens. A month opens at midnight of
 * its 1st, whatever day the row names (a month whose 1st is a holiday is still that month's
 * bar), and ends at midnight of the next 1st; a day or a week ends a calendar day or seven
 * later; an intraday bucket is its duration.
 */
export function bucketOnWall(interval: Interval, wall: number): { open: number; end: number } {
  if (interval === "1month") {
    const date = new Date(wall);
    const year = date.getUTCFullYear();
    const month = date.getUTCMonth();
    return { open: Date.UTC(year, month, 1), end: Date.UTC(year, month + 1, 1) };
  }
  return { open: wall, end: wall + FACTS[interval].ms };
}
