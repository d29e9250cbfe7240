import {
  type CryptoMarketAnalyticsInput,
  type CryptoOHLCVInput,
  type CryptoPriceInput,
  type HealthStatus,
  type Logger,
  type OHLCVQuery,
  qiError,
  type ReadOptions,
  type RecordKind,
  type SourceBatch,
  type TimeRange,
  toQiError,
} from "@qicore/core/adapter";
import { Backfill, type BackfillCursor, candleHistoryShape, historyShape } from "./backfill";
import {
  type CandleWidth,
  candlesFromOhlc,
  candleWidth,
  DAY_MS,
  ohlcWidth,
  supportedTimeframes,
  windowsFor,
} from "./candles";
import { type CoinGeckoCheckpoint, emptyCheckpoint, isCoinGeckoCheckpoint } from "./checkpoint";
import type { Clock } from "./clock";
import type { CoinGeckoConfig } from "./config";
import { isPermanent } from "./errors";
import type { CoinGeckoHttpClient } from "./http-client";
import {
  analyticsFromGlobal,
  pricesFromMarketChart,
  pricesFromMarkets,
  pricesFromSimplePrice,
} from "./mappers";
import type { CoinGeckoPlan } from "./plans";
import type { BackfillProgress } from "./progress";
import type { Priority } from "./rate-budget";
import {
  type CoinsMarketsResponse,
  coinsMarketsResponse,
  expectShape,
  globalResponse,
  keyResponse,
  marketChartResponse,
  ohlcResponse,
  pingResponse,
  simplePriceResponse,
} from "./responses";

/** Ids per /simple/price or /coins/markets request (the latter's page size limit). */
export const IDS_PER_REQUEST = 250;

interface Piece {
  kind: RecordKind;
  records: readonly unknown[];
  origin: Record<string, unknown>;
}

export interface ReaderParts {
  config: CoinGeckoConfig;
  plan: CoinGeckoPlan;
  http: CoinGeckoHttpClient;
  clock: Clock;
  logger: Logger;
  progress: BackfillProgress;
}

/**
 * Reads CoinGecko for one source instance: the streams of `read()` (one poll of each live
 * stream, then a slice of each backfill) and the reader DSL (getCurrentPrices ...).
 */
export class CoinGeckoReader {
  private readonly symbols = new Map<string, string>();
  private readonly unknownCoins = new Set<string>();
  private readonly warned = new Set<string>();
  private readonly historyBackfill: Backfill | undefined;
  private readonly candleBackfill: Backfill | undefined;
  /** What the last read() ended with, to continue from when the runtime hands its checkpoint back. */
  private memory: { handedIn: unknown; lastEmitted: unknown; state: CoinGeckoCheckpoint } | undefined;

  constructor(private readonly parts: ReaderParts) {
    const { streams, coins } = parts.config;
    if (streams.history) {
      const { from, to, granularity } = streams.history;
      this.historyBackfill = new Backfill(
        historyShape(streams.history.coins ?? coins ?? [], from, to, granularity),
      );
    }
    if (streams.ohlcvHistory) {
      const { from, to, interval } = streams.ohlcvHistory;
      this.candleBackfill = new Backfill(
        candleHistoryShape(streams.ohlcvHistory.coins ?? coins ?? [], from, to, interval),
      );
    }
  }

  private get config(): CoinGeckoConfig {
    return this.parts.config;
  }

  private get http(): CoinGeckoHttpClient {
    return this.parts.http;
  }

  private now(): number {
    return this.parts.clock.now();
  }

  // ---------------------------------------------------------------------------
  // Streams

  /**
   * One poll of each live stream (prices, candles, analytics) that is due, then up to
   * `requestsPerRead` ranges of each backfill (all of them with `once`). Every batch
   * carries the whole position reached after it.
   */
  async *read(options: ReadOptions): AsyncGenerator<SourceBatch> {
    const { signal } = options;
    const state = this.stateFor(options.checkpoint);
    let lastEmitted: CoinGeckoCheckpoint | undefined;
    const { streams } = this.config;
    const steps: [string, () => AsyncGenerator<Piece>][] = [];
    if (streams.prices) steps.push(["prices", () => this.pollPrices(state, signal)]);
    if (streams.ohlcv) steps.push(["ohlcv", () => this.pollCandles(state, signal)]);
    if (streams.analytics) steps.push(["analytics", () => this.pollAnalytics(state, signal)]);
    if (streams.history) steps.push(["history", () => this.backfillHistory(state, signal)]);
    if (streams.ohlcvHistory) steps.push(["ohlcvHistory", () => this.backfillCandles(state, signal)]);
    try {
      for (const [name, step] of steps) {
        if (signal.aborted) return;
        try {
          for await (const piece of step()) {
            lastEmitted = structuredClone(state);
            yield { kind: piece.kind, records: piece.records, checkpoint: lastEmitted, origin: piece.origin };
            if (signal.aborted) return;
          }
        } catch (thrown) {
          const error = toQiError(thrown);
          if (signal.aborted) return;
          if (this.config.once || isPermanent(error)) throw error;
          this.parts.logger.warn("CoinGecko poll failed; the next poll tries again", {
            stream: name,
            code: error.code,
            error: error.message,
          });
        }
      }
    } finally {
      this.memory = { handedIn: options.checkpoint, lastEmitted, state };
      this.parts.progress.finish();
    }
  }

  /**
   * The state to continue from. The runtime hands back the last checkpoint this source
   * emitted, and then the in-memory state (which also knows polls that emitted nothing) is
   * newer; any other checkpoint (a restart, a replay) is taken as it is.
   */
  private stateFor(checkpoint: unknown): CoinGeckoCheckpoint {
    const memory = this.memory;
    if (memory && checkpoint === (memory.lastEmitted ?? memory.handedIn)) return memory.state;
    if (checkpoint === undefined || checkpoint === null) return emptyCheckpoint();
    if (isCoinGeckoCheckpoint(checkpoint)) return structuredClone(checkpoint);
    this.parts.logger.warn("ignoring a checkpoint this source did not write; starting afresh", {
      checkpoint: JSON.stringify(checkpoint).slice(0, 200),
    });
    return emptyCheckpoint();
  }

  private due(polledAt: number | undefined, every: number | undefined): boolean {
    if (this.config.once || every === undefined || polledAt === undefined) return true;
    return this.now() - polledAt >= every;
  }

  private async *pollPrices(state: CoinGeckoCheckpoint, signal: AbortSignal): AsyncGenerator<Piece> {
    const options = this.config.streams.prices;
    if (!options || !this.due(state.pricesPolledAt, options.every)) return;
    const previous = state.pricesPolledAt;
    state.pricesPolledAt = this.now();
    try {
      if (this.config.topN !== undefined) yield* this.pollTopPrices(state, this.config.topN, signal);
      else yield* this.pollListedPrices(state, this.config.coins ?? [], signal);
    } catch (thrown) {
      state.pricesPolledAt = previous;
      throw thrown;
    }
  }

  private async *pollListedPrices(
    state: CoinGeckoCheckpoint,
    coins: readonly string[],
    signal: AbortSignal,
  ): AsyncGenerator<Piece> {
    state.prices ??= {};
    const seen = state.prices;
    for await (const { records, endpoint, count } of this.listedPrices(coins, "live", signal)) {
      const fresh = records.filter((record) => isNewer(record, seen));
      for (const record of fresh) seen[coinOf(record)] = Date.parse(String(record.lastUpdated));
      if (fresh.length > 0) yield { kind: "price", records: fresh, origin: { endpoint, coins: count } };
    }
  }

  private async *pollTopPrices(
    state: CoinGeckoCheckpoint,
    topN: number,
    signal: AbortSignal,
  ): AsyncGenerator<Piece> {
    state.prices ??= {};
    const seen = state.prices;
    const inTop = new Set<string>();
    const perPage = Math.min(IDS_PER_REQUEST, topN);
    for (let page = 1, taken = 0; taken < topN; page++) {
      const path = "/coins/markets";
      const body = await this.http.getJson(
        path,
        {
          vs_currency: "usd",
          order: "market_cap_desc",
          per_page: perPage,
          page,
          price_change_percentage: "24h,7d",
          precision: "full",
        },
        { priority: "live", signal },
      );
      const rows = expectShape(coinsMarketsResponse, body, `${path} page ${page}`).slice(0, topN - taken);
      taken += rows.length;
      for (const row of rows) {
        this.symbols.set(row.id, row.symbol);
        inTop.add(row.id);
      }
      const { records } = pricesFromMarkets(rows);
      const fresh = records.filter((record) => isNewer(record, seen));
      for (const record of fresh) seen[coinOf(record)] = Date.parse(String(record.lastUpdated));
      if (fresh.length > 0) yield { kind: "price", records: fresh, origin: { endpoint: path, page } };
      if (rows.length < perPage) break;
    }
    // Coins that left the top N are forgotten, so the checkpoint does not grow without bound.
    for (const coinId of Object.keys(seen)) if (!inTop.has(coinId)) delete seen[coinId];
  }

  /**
   * Prices of listed coins, at most 250 a request. Coins whose symbol is not known yet
   * (the first refresh) come from /coins/markets, which has symbols; later refreshes use
   * /simple/price, CoinGecko's freshest price endpoint. Either way a refresh of N coins
   * costs ceil(N / 250) requests.
   */
  private async *listedPrices(
    coins: readonly string[],
    priority: Priority,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<{ records: CryptoPriceInput[]; endpoint: string; count: number }> {
    const wanted = coins.filter((coin) => !this.unknownCoins.has(coin));
    const unknownSymbol = wanted.filter((coin) => !this.symbols.has(coin));
    for (const chunk of chunked(unknownSymbol, IDS_PER_REQUEST)) {
      const rows = await this.markets(chunk, priority, signal);
      yield { records: pricesFromMarkets(rows).records, endpoint: "/coins/markets", count: chunk.length };
    }
    const fetched = new Set(unknownSymbol);
    const known = wanted.filter((coin) => this.symbols.has(coin) && !fetched.has(coin));
    for (const chunk of chunked(known, IDS_PER_REQUEST)) {
      const path = "/simple/price";
      const body = await this.http.getJson(
        path,
        {
          ids: chunk.join(","),
          vs_currencies: "usd,btc",
          include_market_cap: true,
          include_24hr_vol: true,
          include_24hr_change: true,
          include_last_updated_at: true,
          precision: "full",
        },
        { priority, signal },
      );
      const prices = expectShape(simplePriceResponse, body, path);
      const inChunk = Object.fromEntries(
        chunk.flatMap((coin) => (prices[coin] ? [[coin, prices[coin]]] : [])),
      );
      const { records, incomplete } = pricesFromSimplePrice(inChunk, this.symbols);
      this.warnOnce(
        "simple-price-incomplete",
        incomplete,
        "CoinGecko returned no USD price or no last_updated_at for these coins; skipped",
      );
      yield { records, endpoint: path, count: chunk.length };
    }
  }

  /** /coins/markets for up to 250 listed coins; learns their symbols and which ids CoinGecko does not know. */
  private async markets(
    coins: readonly string[],
    priority: Priority,
    signal: AbortSignal | undefined,
  ): Promise<CoinsMarketsResponse> {
    const path = "/coins/markets";
    const body = await this.http.getJson(
      path,
      {
        vs_currency: "usd",
        ids: coins.join(","),
        per_page: IDS_PER_REQUEST,
        page: 1,
        price_change_percentage: "24h,7d",
        precision: "full",
      },
      { priority, signal },
    );
    const rows = expectShape(coinsMarketsResponse, body, path);
    for (const row of rows) this.symbols.set(row.id, row.symbol);
    const missing = coins.filter((coin) => !this.symbols.has(coin));
    for (const coin of missing) this.unknownCoins.add(coin);
    if (missing.length > 0) {
      this.parts.logger.warn(
        "CoinGecko does not know these coin ids; they are skipped (API ids are listed by /coins/list)",
        {
          coins: missing,
        },
      );
    }
    return rows.filter((row) => coins.includes(row.id));
  }

  /** Symbols of `coins`, asking /coins/markets for those not known yet. */
  private async symbolsOf(
    coins: readonly string[],
    priority: Priority,
    signal: AbortSignal | undefined,
  ): Promise<ReadonlyMap<string, string>> {
    const unknown = coins.filter((coin) => !this.symbols.has(coin) && !this.unknownCoins.has(coin));
    for (const chunk of chunked(unknown, IDS_PER_REQUEST)) await this.markets(chunk, priority, signal);
    return this.symbols;
  }

  private async *pollCandles(state: CoinGeckoCheckpoint, signal: AbortSignal): AsyncGenerator<Piece> {
    const options = this.config.streams.ohlcv;
    if (!options) return;
    const coins = options.coins ?? this.config.coins ?? [];
    state.ohlcv ??= {};
    const marks = state.ohlcv;
    state.ohlcvPolledAt ??= {};
    const polled = state.ohlcvPolledAt;
    const width = ohlcWidth(options.days, options.interval);
    for (const coin of coins) {
      if (signal.aborted) return;
      if (!this.due(polled[coin], options.every)) continue;
      const previous = polled[coin];
      polled[coin] = this.now();
      try {
        const path = `/coins/${encodeURIComponent(coin)}/ohlc`;
        const body = await this.http.getJson(
          path,
          { vs_currency: "usd", days: options.days, interval: options.interval, precision: "full" },
          { priority: "live", signal },
        );
        const mapped = candlesFromOhlc(expectShape(ohlcResponse, body, path), {
          coinId: coin,
          width,
          mode: "window",
          now: this.now(),
        });
        this.noteWidth(path, width, mapped.observedWidth);
        marks[coin] ??= {};
        const mark = marks[coin];
        const fresh = mapped.candles.filter((candle) =>
          candle.isFinal
            ? Date.parse(String(candle.timestamp)) > (mark.final ?? Number.NEGATIVE_INFINITY)
            : candleKey(candle) !== mark.open,
        );
        for (const candle of fresh) {
          if (candle.isFinal) mark.final = Math.max(mark.final ?? 0, Date.parse(String(candle.timestamp)));
          else mark.open = candleKey(candle);
        }
        if (fresh.length > 0) yield { kind: "ohlcv", records: fresh, origin: { endpoint: path, coin } };
      } catch (thrown) {
        if (previous === undefined) delete polled[coin];
        else polled[coin] = previous;
        const error = toQiError(thrown);
        if (signal.aborted || this.config.once || isPermanent(error)) throw error;
        this.parts.logger.warn("CoinGecko candles failed for a coin; the next poll tries again", {
          coin,
          code: error.code,
          error: error.message,
        });
      }
    }
  }

  private async *pollAnalytics(state: CoinGeckoCheckpoint, signal: AbortSignal): AsyncGenerator<Piece> {
    const options = this.config.streams.analytics;
    if (!options || !this.due(state.analyticsPolledAt, options.every)) return;
    const previous = state.analyticsPolledAt;
    state.analyticsPolledAt = this.now();
    try {
      const record = await this.fetchAnalytics("live", signal);
      const time = Date.parse(String(record.timestamp));
      if (state.analytics !== undefined && time <= state.analytics) return;
      state.analytics = time;
      yield { kind: "analytics", records: [record], origin: { endpoint: "/global" } };
    } catch (thrown) {
      state.analyticsPolledAt = previous;
      throw thrown;
    }
  }

  private async *backfillHistory(state: CoinGeckoCheckpoint, signal: AbortSignal): AsyncGenerator<Piece> {
    const options = this.config.streams.history;
    const backfill = this.historyBackfill;
    if (!options || !backfill) return;
    let cursor: BackfillCursor = backfill.start(state.history, this.now());
    state.history = cursor;
    if (cursor.done) return;
    // Symbols of every coin at once (250 a request), not one lookup per coin.
    const symbols = await this.symbolsOf(options.coins ?? this.config.coins ?? [], "backfill", signal);
    const limit = this.config.once ? Number.POSITIVE_INFINITY : options.requestsPerRead;
    for (let requests = 0; requests < limit && !signal.aborted; ) {
      const range = backfill.range(cursor);
      if (!range) break;
      const symbol = symbols.get(range.coin);
      if (symbol === undefined) {
        cursor = backfill.skipCoin(cursor);
        state.history = cursor;
        continue;
      }
      const path = `/coins/${encodeURIComponent(range.coin)}/market_chart/range`;
      const body = await this.http.getJson(
        path,
        {
          vs_currency: "usd",
          from: Math.floor(range.requestFrom / 1000),
          to: Math.ceil(range.requestTo / 1000),
          precision: "full",
        },
        { priority: "backfill", signal },
      );
      requests++;
      const records = pricesFromMarketChart(
        range.coin,
        symbol,
        expectShape(marketChartResponse, body, path),
        range.keepFrom,
        range.keepTo,
      );
      cursor = backfill.advance(cursor, range);
      state.history = cursor;
      const { done, total } = backfill.progress(cursor);
      this.parts.progress.update(
        "history",
        done,
        total,
        `${range.coin} ${day(range.keepFrom)}→${day(range.keepTo)}`,
      );
      // Yielded even when empty: the batch carries the backfill's progress to the checkpoint.
      yield {
        kind: "price",
        records,
        origin: { endpoint: path, coin: range.coin, from: iso(range.keepFrom), to: iso(range.keepTo) },
      };
    }
  }

  private async *backfillCandles(state: CoinGeckoCheckpoint, signal: AbortSignal): AsyncGenerator<Piece> {
    const options = this.config.streams.ohlcvHistory;
    const backfill = this.candleBackfill;
    if (!options || !backfill) return;
    const width = (options.interval === "hourly" ? candleWidth("1h") : candleWidth("1d")) as CandleWidth;
    let cursor: BackfillCursor = backfill.start(state.ohlcvHistory, this.now());
    state.ohlcvHistory = cursor;
    const limit = this.config.once ? Number.POSITIVE_INFINITY : options.requestsPerRead;
    for (let requests = 0; requests < limit && !signal.aborted; requests++) {
      const range = backfill.range(cursor);
      if (!range) break;
      const path = `/coins/${encodeURIComponent(range.coin)}/ohlc/range`;
      const body = await this.http.getJson(
        path,
        {
          vs_currency: "usd",
          from: Math.floor(range.requestFrom / 1000),
          to: Math.ceil(range.requestTo / 1000),
          interval: options.interval,
        },
        { priority: "backfill", signal },
      );
      const mapped = candlesFromOhlc(expectShape(ohlcResponse, body, path), {
        coinId: range.coin,
        width,
        mode: "range",
        now: this.now(),
      });
      this.noteWidth(path, width, mapped.observedWidth);
      const records = mapped.candles.filter((candle) => {
        const open = Date.parse(String(candle.timestamp));
        return open >= range.keepFrom && open < range.keepTo;
      });
      cursor = backfill.advance(cursor, range);
      state.ohlcvHistory = cursor;
      const { done, total } = backfill.progress(cursor);
      this.parts.progress.update(
        "ohlcvHistory",
        done,
        total,
        `${range.coin} ${day(range.keepFrom)}→${day(range.keepTo)}`,
      );
      yield {
        kind: "ohlcv",
        records,
        origin: { endpoint: path, coin: range.coin, from: iso(range.keepFrom), to: iso(range.keepTo) },
      };
    }
  }

  // ---------------------------------------------------------------------------
  // Reader DSL

  async getCurrentPrices(coinIds: readonly string[]): Promise<CryptoPriceInput[]> {
    const records: CryptoPriceInput[] = [];
    for await (const piece of this.listedPrices(unique(coinIds), "live", undefined))
      records.push(...piece.records);
    return records;
  }

  async getMarketAnalytics(): Promise<CryptoMarketAnalyticsInput> {
    return this.fetchAnalytics("live", undefined);
  }

  /**
   * Price points of a coin in [start, end], from market_chart/range in ranges of up to 90
   * days (hourly points; the last day before now comes 5-minutely).
   */
  async getPriceHistory(coinId: string, range: TimeRange): Promise<CryptoPriceInput[]> {
    const symbol = (await this.symbolsOf([coinId], "live", undefined)).get(coinId);
    if (symbol === undefined) return [];
    const backfill = new Backfill(
      historyShape([coinId], range.start.getTime(), range.end.getTime() + 1, "hourly"),
    );
    const records: CryptoPriceInput[] = [];
    for (let cursor = backfill.start(undefined, this.now()); ; ) {
      const next = backfill.range(cursor);
      if (!next) break;
      const path = `/coins/${encodeURIComponent(coinId)}/market_chart/range`;
      const body = await this.http.getJson(
        path,
        {
          vs_currency: "usd",
          from: Math.floor(next.requestFrom / 1000),
          to: Math.ceil(next.requestTo / 1000),
          precision: "full",
        },
        { priority: "live" },
      );
      records.push(
        ...pricesFromMarketChart(
          coinId,
          symbol,
          expectShape(marketChartResponse, body, path),
          next.keepFrom,
          next.keepTo,
        ),
      );
      cursor = backfill.advance(cursor, next);
    }
    return records;
  }

  /**
   * Candles of a coin: the newest `limit` (default 100) or those opening in [start, end].
   * CoinGecko's widths are 30m, 4h and 4d (paid plans also 1h and 1d, and /ohlc/range for
   * any period); the smallest window holding the wanted candles is asked for.
   */
  async getOHLCV(coinId: string, query: OHLCVQuery): Promise<CryptoOHLCVInput[]> {
    const paid = this.parts.plan === "pro";
    const windows = windowsFor(query.timeframe, paid);
    const width = candleWidth(query.timeframe);
    if (!width || windows.length === 0) {
      throw qiError(
        "VALIDATION_FAILED",
        `coingecko source: getOHLCV: CoinGecko has no ${JSON.stringify(query.timeframe)} candles on plan ${this.parts.plan}; use one of ${supportedTimeframes(paid).join(", ")}`,
        { context: { timeframe: query.timeframe, plan: this.parts.plan } },
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
      const path = `/coins/${encodeURIComponent(coinId)}/ohlc`;
      const body = await this.http.getJson(
        path,
        { vs_currency: "usd", days: chosen.days, interval: chosen.interval, precision: "full" },
        { priority: "live" },
      );
      candles = candlesFromOhlc(expectShape(ohlcResponse, body, path), {
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

  private async candlesInRange(
    coinId: string,
    interval: "hourly" | "daily",
    start: number,
    end: number,
  ): Promise<CryptoOHLCVInput[]> {
    const width = (interval === "hourly" ? candleWidth("1h") : candleWidth("1d")) as CandleWidth;
    const backfill = new Backfill(candleHistoryShape([coinId], start, end, interval));
    const candles: CryptoOHLCVInput[] = [];
    for (let cursor = backfill.start(undefined, this.now()); ; ) {
      const next = backfill.range(cursor);
      if (!next) break;
      const path = `/coins/${encodeURIComponent(coinId)}/ohlc/range`;
      const body = await this.http.getJson(
        path,
        {
          vs_currency: "usd",
          from: Math.floor(next.requestFrom / 1000),
          to: Math.ceil(next.requestTo / 1000),
          interval,
        },
        { priority: "live" },
      );
      const mapped = candlesFromOhlc(expectShape(ohlcResponse, body, path), {
        coinId,
        width,
        mode: "range",
        now: this.now(),
      });
      candles.push(
        ...mapped.candles.filter((candle) => {
          const open = Date.parse(String(candle.timestamp));
          return open >= next.keepFrom && open < next.keepTo;
        }),
      );
      cursor = backfill.advance(cursor, next);
    }
    return candles;
  }

  private async fetchAnalytics(
    priority: Priority,
    signal: AbortSignal | undefined,
  ): Promise<CryptoMarketAnalyticsInput> {
    const path = "/global";
    const body = await this.http.getJson(path, {}, { priority, signal });
    return analyticsFromGlobal(expectShape(globalResponse, body, path));
  }

  // ---------------------------------------------------------------------------
  // Connection

  /**
   * Checks the host and the key with one call before the pipeline starts, so a wrong plan
   * fails at once with its fix. On `pro` without a configured rate it asks `/key` for the
   * key's own limit and adopts it.
   */
  async connect(signal?: AbortSignal): Promise<void> {
    const budget = this.http.budget;
    if (this.parts.plan === "pro" && budget.limitSource !== "configured") {
      if (await this.adoptKeyLimit(signal)) return;
    }
    const path = "/ping";
    expectShape(pingResponse, await this.http.getJson(path, {}, { priority: "live", signal }), path);
  }

  /**
   * Adopts the key's own limit from `/key`. A server without `/key` (a caching proxy, a
   * test server) keeps the default budget, with one warning: the limit is a convenience,
   * not a reason to refuse to start. True when `/key` answered (it also proved the key).
   */
  private async adoptKeyLimit(signal: AbortSignal | undefined): Promise<boolean> {
    const path = "/key";
    const budget = this.http.budget;
    let body: unknown;
    try {
      body = await this.http.getJson(path, {}, { priority: "live", signal });
    } catch (thrown) {
      const error = toQiError(thrown);
      const status = error.context.status;
      if (status !== 404 && status !== 405 && status !== 501) throw error;
      this.parts.logger.warn(
        `the server has no /key (HTTP ${status}); using ${budget.snapshot().callsPerMinute} calls per minute (set callsPerMinute to choose)`,
        { plan: this.parts.plan },
      );
      return false;
    }
    const usage = expectShape(keyResponse, body, path);
    const limit = usage.api_key_rate_limit_request_per_minute ?? usage.rate_limit_request_per_minute;
    if (limit !== undefined && limit > 0) {
      budget.setRate(limit, "discovered");
      this.parts.logger.info("using the key's rate limit from /key", {
        callsPerMinute: limit,
        plan: usage.plan,
      });
    }
    return true;
  }

  async healthCheck(): Promise<HealthStatus> {
    try {
      const path = "/ping";
      const pong = expectShape(pingResponse, await this.http.getJson(path, {}, { priority: "live" }), path);
      return {
        status: "healthy",
        message: pong.gecko_says,
        details: { plan: this.parts.plan, ...this.http.budget.snapshot() },
      };
    } catch (thrown) {
      const error = toQiError(thrown);
      return {
        status: "unhealthy",
        message: error.message,
        details: { code: error.code, plan: this.parts.plan },
      };
    }
  }

  private noteWidth(path: string, documented: CandleWidth, observed: CandleWidth | undefined): void {
    if (!observed) return;
    this.warnOnce(
      `width ${path}`,
      [path],
      `candles are ${observed.timeframe} apart, not the documented ${documented.timeframe}; stamped with the width the data shows`,
    );
  }

  private warnOnce(topic: string, items: readonly string[], message: string): void {
    const fresh = items.filter((item) => !this.warned.has(`${topic}:${item}`));
    if (fresh.length === 0) return;
    for (const item of fresh) this.warned.add(`${topic}:${item}`);
    this.parts.logger.warn(message, { items: fresh });
  }
}

/** CoinGecko's prices always name their coin (the record type allows venues' that do not). */
function coinOf(record: CryptoPriceInput): string {
  return record.coinId as string;
}

function isNewer(record: CryptoPriceInput, seen: Record<string, number>): boolean {
  const time = Date.parse(String(record.lastUpdated));
  const previous = seen[coinOf(record)];
  return previous === undefined || time > previous;
}

function candleKey(candle: CryptoOHLCVInput): string {
  return [candle.timestamp, candle.open, candle.high, candle.low, candle.close].join("|");
}

function chunked<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let index = 0; index < items.length; index += size) chunks.push(items.slice(index, index + size));
  return chunks;
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}

const iso = (ms: number) => new Date(ms).toISOString();
const day = (ms: number) => iso(ms).slice(0, 10);
