/**
 * Twelve Data's candle intervals and the core's timeframes. `1month` exists at Twelve Data but
 * not in the core's Timeframe (units m, h, d, w), so it is not offered.
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
] as const;

export type Interval = (typeof INTERVALS)[number];

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

interface IntervalFacts {
  /** The core's timeframe text. */
  timeframe: string;
  /** Width in milliseconds; days and weeks are calendar days of the exchange (23 or 25 hours across a clock change). */
  ms: number;
  /** Daily and weekly buckets start at the exchange's local midnight; the others are plain durations. */
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
