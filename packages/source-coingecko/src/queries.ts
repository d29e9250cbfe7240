import {
  type CryptoMarketAnalyticsInput,
  type CryptoOHLCVInput,
  type CryptoPriceInput,
  type OHLCVQuery,
  qiError,
  type TimeRange,
} from "@qicore/core/adapter";
import type { Call, CoinGeckoApi } from "./api";
import { Backfill, candleHistoryShape, historyShape } from "./backfill";
import {
  type CandleWidth,
  candlesFromOhlc,
  candleWidth,
  DAY_MS,
  ohlcWidth,
  supportedTimeframes,
  windowsFor,
} from "./candles";
import type { Clock } from "./clock";
import type { CoinDirectory } from "./coins";
import { analyticsFromGlobal } from "./mappers";
import type { CoinGeckoPlan } from "./plans";
import { candleRange, collectBackfill, historyRange } from "./ranges";

export interface QueryParts {
  api: CoinGeckoApi;
  coins: CoinDirectory;
  plan: CoinGeckoPlan;
  clock: Clock;
}

/** The DSL's questions are asked for someone waiting: they go before backfills in the rate budget. */
const LIVE: Call = { priority: "live" };

/** The source's reader DSL: getCurrentPrices, getMarketAnalytics, getPriceHistory and getOHLCV. */
export class CoinGeckoQueries {
  constructor(private readonly parts: QueryParts) {}

  private now(): number {
    return this.parts.clock.now();
  }

  async getCurrentPrices(coinIds: readonly string[]): Promise<CryptoPriceInput[]> {
    const records: CryptoPriceInput[] = [];
    for await (const piece of this.parts.coins.listedPrices([...new Set(coinIds)], LIVE))
      records.push(...piece.records);
    return records;
  }

  async getMarketAnalytics(): Promise<CryptoMarketAnalyticsInput> {
    return analyticsFromGlobal((await this.parts.api.global(LIVE)).data);
  }

  /**
   * Price points of a coin in [start, end], from market_chart/range in ranges of up to 90
   * days (hourly points; the last day before now comes 5-minutely).
   */
  async getPriceHistory(coinId: string, range: TimeRange): Promise<CryptoPriceInput[]> {
    const symbol = (await this.parts.coins.symbolsOf([coinId], LIVE)).get(coinId);
    if (symbol === undefined) return [];
    const backfill = new Backfill(
      historyShape([coinId], range.start.getTime(), range.end.getTime() + 1, "hourly"),
    );
    return collectBackfill(backfill, this.now(), (next) => historyRange(this.parts.api, symbol, next, LIVE));
  }

  /**
   * Candles of a coin: the newest `limit` (default 100) or those opening in [start, end].
   * CoinGecko's widths are 30m, 4h and 4d (paid plans also 1h and 1d, and /ohlc/range for
   * any period); the smallest window holding the wanted candles is asked for.
   */
  async getOHLCV(coinId: string, query: OHLCVQuery): Promise<CryptoOHLCVInput[]> {
    const { plan } = this.parts;
    const paid = plan === "pro";
    const windows = windowsFor(query.timeframe, paid);
    const width = candleWidth(query.timeframe);
    if (!width || windows.length === 0) {
      throw qiError(
        "VALIDATION_FAILED",
        `coingecko source: getOHLCV: CoinGecko has no ${JSON.stringify(query.timeframe)} candles on plan ${plan}; use one of ${supportedTimeframes(paid).join(", ")}`,
        { context: { timeframe: query.timeframe, plan } },
      );
    }
    const now = this.now();
    const start = query.start?.getTime();
    const end = query.end?.getTime() ?? Number.POSITIVE_INFINITY;
    const limit = query.limit ?? (start === undefined ? 100 : Number.POSITIVE_INFINITY);
    let candles: CryptoOHLCVInput[];
    if (paid && start !== undefined && (query.timeframe === "1h" || query.timeframe === "1d")) {
      candles = await this.candlesInRange(
        coinId,
        query.timeframe === "1h" ? "hourly" : "daily",
        start,
        Math.min(end + 1, now),
      );
    } else {
      const span = now - (start ?? now - (Number.isFinite(limit) ? limit + 1 : 100) * width.ms) + width.ms;
      const window =
        windows.find((option) => option.days === "max" || Number(option.days) * DAY_MS >= span) ??
        windows[windows.length - 1];
      const chosen = window as (typeof windows)[number];
      const { data } = await this.parts.api.ohlc(coinId, chosen, LIVE);
      candles = candlesFromOhlc(data, {
        coinId,
        width: ohlcWidth(chosen.days, chosen.interval),
        mode: "window",
        now,
      }).candles;
    }
    const inRange = candles.filter((candle) => {
      const open = Date.parse(String(candle.timestamp));
      return (start === undefined || open >= start) && open <= end;
    });
    return Number.isFinite(limit) ? inRange.slice(-limit) : inRange;
  }

  /** Paid plans: hourly or daily candles of [start, end) from /ohlc/range, in its longest ranges. */
  private candlesInRange(
    coinId: string,
    interval: "hourly" | "daily",
    start: number,
    end: number,
  ): Promise<CryptoOHLCVInput[]> {
    const width = (interval === "hourly" ? candleWidth("1h") : candleWidth("1d")) as CandleWidth;
    const backfill = new Backfill(candleHistoryShape([coinId], start, end, interval));
    const candles = { interval, width, now: () => this.now() };
    return collectBackfill(backfill, this.now(), (next) => candleRange(this.parts.api, next, candles, LIVE));
  }
}
