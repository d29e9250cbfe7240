import type { OhlcDays, OhlcInterval } from "./candles";
import type { CoinGeckoHttpClient } from "./http-client";
import type { Priority, RateBudget } from "./rate-budget";
import {
  type CoinsMarketsResponse,
  coinsMarketsResponse,
  expectShape,
  type GlobalResponse,
  globalResponse,
  keyResponse,
  type MarketChartResponse,
  marketChartResponse,
  type OhlcResponse,
  ohlcResponse,
  pingResponse,
  type SimplePriceResponse,
  simplePriceResponse,
} from "./responses";

/** Ids per /simple/price or /coins/markets request (the latter's page size limit). */
export const IDS_PER_REQUEST = 250;

/** An endpoint's answer, checked against its response schema, with the path it came from. */
export interface Answer<T> {
  path: string;
  data: T;
}

/** Which coins /coins/markets is asked for: listed ids, or a page of the market-cap ranking. */
export type MarketsSelection = { ids: readonly string[] } | { page: number; perPage: number };

/** How a request is sent: its share of the rate budget and what cancels it. */
export interface Call {
  priority: Priority;
  signal?: AbortSignal | undefined;
}

const seconds = (ms: number, round: (value: number) => number) => round(ms / 1000);

/**
 * CoinGecko's API as this source uses it: one method per endpoint, each building its query
 * once and checking the answer against that endpoint's response schema (responses.ts).
 */
export class CoinGeckoApi {
  constructor(private readonly http: CoinGeckoHttpClient) {}

  get budget(): RateBudget {
    return this.http.budget;
  }

  /** /simple/price: CoinGecko's freshest prices of up to 250 coins, in USD and BTC. */
  async simplePrice(ids: readonly string[], call: Call): Promise<Answer<SimplePriceResponse>> {
    const path = "/simple/price";
    const body = await this.http.getJson(
      path,
      {
        ids: ids.join(","),
        vs_currencies: "usd,btc",
        include_market_cap: true,
        include_24hr_vol: true,
        include_24hr_change: true,
        include_last_updated_at: true,
        precision: "full",
      },
      call,
    );
    return { path, data: expectShape(simplePriceResponse, body, path) };
  }

  /** /coins/markets: prices with symbols, of listed coins or of a page of the top by market cap. */
  async coinsMarkets(selection: MarketsSelection, call: Call): Promise<Answer<CoinsMarketsResponse>> {
    const path = "/coins/markets";
    const query =
      "ids" in selection
        ? {
            vs_currency: "usd",
            ids: selection.ids.join(","),
            per_page: IDS_PER_REQUEST,
            page: 1,
            price_change_percentage: "24h,7d",
            precision: "full",
          }
        : {
            vs_currency: "usd",
            order: "market_cap_desc",
            per_page: selection.perPage,
            page: selection.page,
            price_change_percentage: "24h,7d",
            precision: "full",
          };
    const body = await this.http.getJson(path, query, call);
    const shown = "ids" in selection ? path : `${path} page ${selection.page}`;
    return { path, data: expectShape(coinsMarketsResponse, body, shown) };
  }

  /** /coins/{id}/ohlc: the candles of a window ending now (its width follows from `days`). */
  async ohlc(
    coinId: string,
    window: { days: OhlcDays; interval?: OhlcInterval | undefined },
    call: Call,
  ): Promise<Answer<OhlcResponse>> {
    const path = `/coins/${encodeURIComponent(coinId)}/ohlc`;
    const body = await this.http.getJson(
      path,
      { vs_currency: "usd", days: window.days, interval: window.interval, precision: "full" },
      call,
    );
    return { path, data: expectShape(ohlcResponse, body, path) };
  }

  /** /coins/{id}/ohlc/range (paid plans): hourly or daily candles of [from, to]. */
  async ohlcRange(
    coinId: string,
    range: { from: number; to: number; interval: "hourly" | "daily" },
    call: Call,
  ): Promise<Answer<OhlcResponse>> {
    const path = `/coins/${encodeURIComponent(coinId)}/ohlc/range`;
    const body = await this.http.getJson(
      path,
      {
        vs_currency: "usd",
        from: seconds(range.from, Math.floor),
        to: seconds(range.to, Math.ceil),
        interval: range.interval,
      },
      call,
    );
    return { path, data: expectShape(ohlcResponse, body, path) };
  }

  /** /coins/{id}/market_chart/range: price points of [from, to] (granularity from the range's length). */
  async marketChartRange(
    coinId: string,
    range: { from: number; to: number },
    call: Call,
  ): Promise<Answer<MarketChartResponse>> {
    const path = `/coins/${encodeURIComponent(coinId)}/market_chart/range`;
    const body = await this.http.getJson(
      path,
      {
        vs_currency: "usd",
        from: seconds(range.from, Math.floor),
        to: seconds(range.to, Math.ceil),
        precision: "full",
      },
      call,
    );
    return { path, data: expectShape(marketChartResponse, body, path) };
  }

  /** /global: the whole market's capitalisation, volume and dominance. */
  async global(call: Call): Promise<Answer<GlobalResponse>> {
    const path = "/global";
    return { path, data: expectShape(globalResponse, await this.http.getJson(path, {}, call), path) };
  }

  /** /key (paid plans): the key's plan and rate limit. */
  async key(call: Call) {
    const path = "/key";
    return { path, data: expectShape(keyResponse, await this.http.getJson(path, {}, call), path) };
  }

  /** /ping: the host answers (and, with a key, accepts it). */
  async ping(call: Call) {
    const path = "/ping";
    return { path, data: expectShape(pingResponse, await this.http.getJson(path, {}, call), path) };
  }
}
