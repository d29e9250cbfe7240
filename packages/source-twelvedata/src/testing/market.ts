/**
 * The instruments of the Twelve Data stand-in and their deterministic prices. Everything is
 * computed on the exchange's wall clock, as Twelve Data writes it: a stock trades 09:30 to
 * 16:00 New York time on weekdays whatever the UTC offset, forex on weekdays around the clock
 * (UTC), crypto always (UTC). Wall times are milliseconds of a UTC calendar showing the
 * exchange's clock; they are made from instants with Intl, independently of the source's own
 * wall-to-instant conversion, which the tests check against them.
 */

export interface Listing {
  symbol: string;
  name: string;
  kind: "equity" | "forex" | "crypto";
  exchange: string | undefined;
  micCode: string | undefined;
  currency: string | undefined;
  /** `meta.exchange_timezone`; pairs have none in Twelve Data's answers (their times are UTC). */
  zone: string;
  base: number;
  hasVolume: boolean;
  currencyBase?: string;
  currencyQuote?: string;
}

export const LISTINGS: readonly Listing[] = [
  {
    symbol: "AAPL",
    name: "Apple Inc",
    kind: "equity",
    exchange: "NASDAQ",
    micCode: "XNAS",
    currency: "USD",
    zone: "America/New_York",
    base: 148.85001,
    hasVolume: true,
  },
  {
    symbol: "MSFT",
    name: "Microsoft Corporation",
    kind: "equity",
    exchange: "NASDAQ",
    micCode: "XNAS",
    currency: "USD",
    zone: "America/New_York",
    base: 299.87,
    hasVolume: true,
  },
  {
    symbol: "VOD",
    name: "Vodafone Group Plc",
    kind: "equity",
    exchange: "LSE",
    micCode: "XLON",
    currency: "GBp",
    zone: "Europe/London",
    base: 71.52,
    hasVolume: true,
  },
  // VOD again: Vodafone's ADR on Nasdaq, in dollars. A plain `VOD` is London's (listed first);
  // `exchange: NASDAQ` or `mic_code: XNGS` asks for this one.
  {
    symbol: "VOD",
    name: "Vodafone Group Plc ADR",
    kind: "equity",
    exchange: "NASDAQ",
    micCode: "XNGS",
    currency: "USD",
    zone: "America/New_York",
    base: 8.89,
    hasVolume: true,
  },
  {
    symbol: "EUR/USD",
    name: "Euro / US Dollar",
    kind: "forex",
    exchange: undefined,
    micCode: undefined,
    currency: undefined,
    zone: "UTC",
    base: 1.17698,
    hasVolume: false,
    currencyBase: "Euro",
    currencyQuote: "US Dollar",
  },
  {
    symbol: "GBP/USD",
    name: "British Pound / US Dollar",
    kind: "forex",
    exchange: undefined,
    micCode: undefined,
    currency: undefined,
    zone: "UTC",
    base: 1.38211,
    hasVolume: false,
    currencyBase: "British Pound",
    currencyQuote: "US Dollar",
  },
  {
    symbol: "USD/JPY",
    name: "US Dollar / Japanese Yen",
    kind: "forex",
    exchange: undefined,
    micCode: undefined,
    currency: undefined,
    zone: "UTC",
    base: 109.71,
    hasVolume: false,
    currencyBase: "US Dollar",
    currencyQuote: "Japanese Yen",
  },
  {
    symbol: "BTC/USD",
    name: "Bitcoin US Dollar",
    kind: "crypto",
    exchange: "Coinbase Pro",
    micCode: undefined,
    currency: undefined,
    zone: "UTC",
    base: 47749.99,
    hasVolume: true,
    currencyBase: "Bitcoin",
    currencyQuote: "US Dollar",
  },
  {
    symbol: "ETH/USD",
    name: "Ethereum US Dollar",
    kind: "crypto",
    exchange: "Coinbase Pro",
    micCode: undefined,
    currency: undefined,
    zone: "UTC",
    base: 3611.02,
    hasVolume: true,
    currencyBase: "Ethereum",
    currencyQuote: "US Dollar",
  },
];

export const MINUTE = 60_000;
export const DAY = 86_400_000;
const SESSION_OPEN = 9 * 60 + 30;
const SESSION_CLOSE = 16 * 60;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall clock of `zone` at `instant`, as ms of a UTC calendar. */
export function wallOf(instant: number, zone: string): number {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(new Date(instant)))
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  return Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
}

/** `2024-03-11 09:30:00`, or `2024-03-11` for daily and weekly rows. */
export function wallText(wall: number, dateOnly: boolean): string {
  const text = new Date(wall).toISOString();
  return dateOnly ? text.slice(0, 10) : `${text.slice(0, 10)} ${text.slice(11, 19)}`;
}

const weekday = (wall: number) => new Date(wall).getUTCDay();
const minuteOfDay = (wall: number) => Math.floor((wall % DAY) / MINUTE);

/** True when the listing trades at this wall minute. */
export function trades(listing: Listing, wall: number): boolean {
  if (listing.kind === "crypto") return true;
  const day = weekday(wall);
  if (day === 0 || day === 6) return false;
  if (listing.kind === "forex") return true;
  const minute = minuteOfDay(wall);
  return minute >= SESSION_OPEN && minute < SESSION_CLOSE;
}

/** A trading day of the listing (daily rows exist for it). */
export function tradingDay(listing: Listing, dayWall: number): boolean {
  if (listing.kind === "crypto") return true;
  const day = weekday(dayWall);
  return day !== 0 && day !== 6;
}

/** The price at a wall minute: a slow wave around the listing's base, the same for everyone. */
export function priceAt(listing: Listing, wall: number): number {
  const phase = (hash(listing.symbol) % 628) / 100;
  return listing.base * (1 + 0.01 * Math.sin((2 * Math.PI * wall) / (6 * 3_600_000) + phase));
}

export function volumeAt(listing: Listing, wall: number): number {
  const size = listing.kind === "crypto" ? 5 : 250_000;
  return (
    Math.round(size * (1.5 + Math.sin(wall / 7_919_000 + hash(listing.symbol)))) /
    (listing.kind === "crypto" ? 1000 : 1)
  );
}

export interface Bar {
  /** Wall time of the bucket's open. */
  wall: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** A bar width: minutes (intraday), calendar days (`1day`, `1week`) or calendar months (`1month`). */
export type BarInterval = { minutes: number } | { days: 1 | 7 } | { months: 1 };

/** Where the bar opening at `wall` ends, on the same wall clock. */
export function barEnd(interval: BarInterval, wall: number): number {
  if ("months" in interval) {
    const date = new Date(wall);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + interval.months, 1);
  }
  return wall + ("days" in interval ? interval.days * DAY : interval.minutes * MINUTE);
}

/**
 * Bars opening at or before `nowWall`, newest first, down to `fromWall` or `limit` bars. The
 * bar still open at `nowWall` has the prices up to then. `widthMinutes` for intraday; `1day`
 * and `1week` rows open at the local midnight of their (Monday's) date, `1month` rows at
 * midnight of the 1st.
 */
export function bars(
  listing: Listing,
  interval: BarInterval,
  nowWall: number,
  fromWall: number,
  limit: number,
): Bar[] {
  const found: Bar[] = [];
  if ("months" in interval) {
    const now = new Date(nowWall);
    for (
      let month = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
      month >= fromWall && found.length < limit;
      month = Date.UTC(new Date(month).getUTCFullYear(), new Date(month).getUTCMonth() - 1, 1)
    ) {
      const end = barEnd(interval, month);
      found.push(bar(listing, month, Math.min(nowWall, end - MINUTE), end - month));
    }
    return found;
  }
  if ("days" in interval) {
    let day = Math.floor(nowWall / DAY) * DAY;
    if (interval.days === 7) day -= ((weekday(day) + 6) % 7) * DAY;
    for (; day >= fromWall && found.length < limit; day -= interval.days * DAY) {
      if (interval.days === 1 && !tradingDay(listing, day)) continue;
      found.push(
        bar(listing, day, Math.min(nowWall, day + interval.days * DAY - MINUTE), interval.days * DAY),
      );
    }
    return found;
  }
  const width = interval.minutes * MINUTE;
  // Stocks' intraday buckets start at the session's open; pairs' at multiples of the width (UTC).
  const aligned = (wall: number) =>
    listing.kind === "equity"
      ? (minuteOfDay(wall) - SESSION_OPEN) % interval.minutes === 0
      : (wall / MINUTE) % interval.minutes === 0;
  let wall = Math.floor(nowWall / MINUTE) * MINUTE;
  while (wall >= fromWall && found.length < limit) {
    if (!trades(listing, wall)) {
      wall = previousTradingMinute(listing, wall);
      continue;
    }
    if (aligned(wall)) {
      found.push(bar(listing, wall, Math.min(nowWall, wall + width - MINUTE), width));
      // The next older open is a width back (or in an earlier session, found from there).
      wall -= width;
    } else wall -= MINUTE;
  }
  return found;
}

function bar(listing: Listing, open: number, last: number, width: number): Bar {
  const samples = [open, open + width / 3, open + (2 * width) / 3, last].filter((wall) => wall <= last);
  const prices = samples.map((wall) => priceAt(listing, wall));
  return {
    wall: open,
    open: prices[0] as number,
    high: Math.max(...prices) * 1.0002,
    low: Math.min(...prices) * 0.9998,
    close: priceAt(listing, last),
    volume: volumeAt(listing, open),
  };
}

/** The last wall minute at or before `nowWall` when the listing traded. */
export function lastTradingMinute(listing: Listing, nowWall: number): number {
  const wall = Math.floor(nowWall / MINUTE) * MINUTE;
  return trades(listing, wall) ? wall : previousTradingMinute(listing, wall);
}

/** The last trading minute before a closed wall minute: the previous session's last minute. */
function previousTradingMinute(listing: Listing, closedWall: number): number {
  const dayStart = Math.floor(closedWall / DAY) * DAY;
  const lastMinuteOf = (day: number) =>
    listing.kind === "equity" ? day + SESSION_CLOSE * MINUTE - MINUTE : day + DAY - MINUTE;
  if (listing.kind === "equity" && tradingDay(listing, dayStart) && minuteOfDay(closedWall) >= SESSION_CLOSE)
    return lastMinuteOf(dayStart);
  let day = dayStart - DAY;
  while (!tradingDay(listing, day)) day -= DAY;
  return lastMinuteOf(day);
}

export function decimal(value: number, places = 5): string {
  return value.toFixed(places);
}

function hash(text: string): number {
  let value = 2166136261;
  for (let index = 0; index < text.length; index++) {
    value ^= text.charCodeAt(index);
    value = Math.imul(value, 16777619);
  }
  return value >>> 0;
}
