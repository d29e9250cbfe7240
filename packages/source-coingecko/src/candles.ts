import { AGGREGATE_EXCHANGE, type CryptoOHLCVInput } from "@qicore/core/adapter";
import { ATTRIBUTION, SOURCE_NAME } from "./mappers";
import type { OhlcResponse } from "./responses";

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export type OhlcDays = "1" | "7" | "14" | "30" | "90" | "180" | "365" | "max";
export type OhlcInterval = "hourly" | "daily";

export interface CandleWidth {
  /** The core's timeframe text (`30m`, `4h`, `4d`, `1h`, `1d`). */
  timeframe: string;
  ms: number;
}

const WIDTHS: Record<string, CandleWidth> = {
  "30m": { timeframe: "30m", ms: 30 * MINUTE_MS },
  "1h": { timeframe: "1h", ms: HOUR_MS },
  "4h": { timeframe: "4h", ms: 4 * HOUR_MS },
  "1d": { timeframe: "1d", ms: DAY_MS },
  "4d": { timeframe: "4d", ms: 4 * DAY_MS },
};

export function candleWidth(timeframe: string): CandleWidth | undefined {
  return WIDTHS[timeframe];
}

/**
 * The candle width /coins/{id}/ohlc answers with. CoinGecko documents it as automatic:
 * 1-2 days → 30 minutes, 3-30 days → 4 hours, 31 days and more → 4 days; paid plans may
 * ask for `interval=hourly` or `daily` instead.
 */
export function ohlcWidth(days: OhlcDays, interval?: OhlcInterval): CandleWidth {
  if (interval === "hourly") return WIDTHS["1h"] as CandleWidth;
  if (interval === "daily") return WIDTHS["1d"] as CandleWidth;
  if (days === "max") return WIDTHS["4d"] as CandleWidth;
  const count = Number(days);
  if (count <= 2) return WIDTHS["30m"] as CandleWidth;
  if (count <= 30) return WIDTHS["4h"] as CandleWidth;
  return WIDTHS["4d"] as CandleWidth;
}

export interface CandleMapping {
  coinId: string;
  width: CandleWidth;
  /**
   * `window` (/coins/{id}/ohlc): the newest candle is the bucket still open, and the oldest
   * may hold only the part of its bucket inside the window, so it is left out.
   * `range` (/ohlc/range): a candle is final once its close time has passed.
   */
  mode: "window" | "range";
  now: number;
}

export interface MappedCandles {
  candles: CryptoOHLCVInput[];
  /** The width the data's spacing shows, when it is not the documented one (the records use it). */
  observedWidth?: CandleWidth;
}

/**
 * CoinGecko's `[close time, open, high, low, close]` rows as the core's candles: stamped
 * with the bucket's OPEN time (close − width), with the width as timeframe, no volume
 * (CoinGecko's OHLC has none) and `isFinal` false for a bucket that may still change.
 */
export function candlesFromOhlc(rows: OhlcResponse, mapping: CandleMapping): MappedCandles {
  const byClose = new Map<number, OhlcResponse[number]>();
  for (const row of rows) byClose.set(row[0], row);
  const sorted = [...byClose.values()].sort((a, b) => a[0] - b[0]);
  const observed = observedWidth(sorted);
  const width = observed && observed.ms !== mapping.width.ms ? observed : mapping.width;
  const kept = mapping.mode === "window" ? sorted.slice(1) : sorted;
  const candles = kept.map((row, index): CryptoOHLCVInput => {
    const [close, open, high, low, last] = row;
    const isFinal =
      mapping.mode === "window" ? index < kept.length - 1 && close <= mapping.now : close <= mapping.now;
    return {
      coinId: mapping.coinId,
      exchangeId: AGGREGATE_EXCHANGE,
      timestamp: new Date(close - width.ms).toISOString(),
      timeframe: width.timeframe,
      open,
      high,
      low,
      close: last,
      volume: null,
      isFinal,
      source: SOURCE_NAME,
      attribution: ATTRIBUTION,
    };
  });
  return width === mapping.width ? { candles } : { candles, observedWidth: width };
}

/** The most common gap between consecutive candles, if it is one of the widths CoinGecko uses. */
function observedWidth(sorted: OhlcResponse): CandleWidth | undefined {
  if (sorted.length < 3) return undefined;
  const counts = new Map<number, number>();
  for (let index = 1; index < sorted.length; index++) {
    const gap = (sorted[index] as OhlcResponse[number])[0] - (sorted[index - 1] as OhlcResponse[number])[0];
    counts.set(gap, (counts.get(gap) ?? 0) + 1);
  }
  let best = 0;
  let bestCount = 0;
  for (const [gap, count] of counts) {
    if (count > bestCount) {
      best = gap;
      bestCount = count;
    }
  }
  return Object.values(WIDTHS).find((width) => width.ms === best);
}

/** Day windows /coins/{id}/ohlc accepts for a width, smallest first. */
export function windowsFor(timeframe: string, paid: boolean): { days: OhlcDays; interval?: OhlcInterval }[] {
  switch (timeframe) {
    case "30m":
      return [{ days: "1" }];
    case "4h":
      return [{ days: "7" }, { days: "14" }, { days: "30" }];
    case "4d":
      return paid
        ? [{ days: "90" }, { days: "180" }, { days: "365" }, { days: "max" }]
        : [{ days: "90" }, { days: "180" }, { days: "365" }];
    case "1h":
      return paid
        ? (["1", "7", "14", "30", "90"] as const).map((days) => ({ days, interval: "hourly" }))
        : [];
    case "1d":
      return paid
        ? (["1", "7", "14", "30", "90", "180"] as const).map((days) => ({ days, interval: "daily" }))
        : [];
    default:
      return [];
  }
}

/** Timeframes getOHLCV can serve on a plan. */
export function supportedTimeframes(paid: boolean): string[] {
  return paid ? ["30m", "1h", "4h", "1d", "4d"] : ["30m", "4h", "4d"];
}
