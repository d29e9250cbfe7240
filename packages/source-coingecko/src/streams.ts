import {
  type CryptoOHLCVInput,
  type CryptoPriceInput,
  type Logger,
  type ReadOptions,
  type RecordKind,
  type SourceBatch,
  toQiError,
} from "@qicore/core/adapter";
import { type CoinGeckoApi, IDS_PER_REQUEST } from "./api";
import {
  Backfill,
  type BackfillCursor,
  type BackfillRange,
  candleHistoryShape,
  historyShape,
} from "./backfill";
import { type CandleWidth, candlesFromOhlc, candleWidth, ohlcWidth } from "./candles";
import { type CoinGeckoCheckpoint, emptyCheckpoint, isCoinGeckoCheckpoint } from "./checkpoint";
import type { Clock } from "./clock";
import type { CoinDirectory } from "./coins";
import type { CoinGeckoConfig } from "./config";
import { isPermanent } from "./errors";
import { analyticsFromGlobal, pricesFromMarkets } from "./mappers";
import type { BackfillProgress } from "./progress";
import { candleRange, historyRange, type RangeRecords, walkBackfill } from "./ranges";
import type { Priority } from "./rate-budget";
import type { WarnOnce } from "./warn-once";

interface Piece {
  kind: RecordKind;
  records: readonly unknown[];
  origin: Record<string, unknown>;
}

export interface StreamParts {
  config: CoinGeckoConfig;
  api: CoinGeckoApi;
  coins: CoinDirectory;
  clock: Clock;
  logger: Logger;
  progress: BackfillProgress;
  warnings: WarnOnce;
}

/** A history stream's backfill as `read()` walks it: where its cursor is kept and how a range is asked for. */
interface BackfillStream<Record> {
  name: "history" | "ohlcvHistory";
  kind: RecordKind;
  backfill: Backfill;
  requestsPerRead: number;
  /** Readies the walk (symbols), once a slice has ranges left. */
  prepare?(): Promise<WalkRanges<Record>>;
  walk?: WalkRanges<Record>;
}

interface WalkRanges<Record> {
  fetch(range: BackfillRange): Promise<RangeRecords<Record>>;
  skips?(range: BackfillRange): boolean;
}

/**
 * The streams of `read()`: one poll of each live stream that is due (prices, candles,
 * analytics), then a slice of each backfill (history, ohlcvHistory). Every batch carries
 * the whole position reached after it.
 */
export class CoinGeckoStreams {
  private readonly historyBackfill: Backfill | undefined;
  private readonly candleBackfill: Backfill | undefined;
  /** What the last read() ended with, to continue from when the runtime hands its checkpoint back. */
  private memory: { handedIn: unknown; lastEmitted: unknown; state: CoinGeckoCheckpoint } | undefined;

  constructor(private readonly parts: StreamParts) {
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

  private now(): number {
    return this.parts.clock.now();
  }

  /**
   * One poll of each live stream (prices, candles, analytics) that is due, then up to
   * `requestsPerRead` ranges of each backfill (all of them with `once`).
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
    const history = this.historyStream();
    if (history) steps.push(["history", () => this.backfillSlice(history, state, signal)]);
    const candles = this.candleHistoryStream();
    if (candles) steps.push(["ohlcvHistory", () => this.backfillSlice(candles, state, signal)]);
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
    for await (const { records, endpoint, count } of this.parts.coins.listedPrices(coins, {
      priority: "live",
      signal,
    })) {
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
      const answer = await this.parts.api.coinsMarkets({ page, perPage }, { priority: "live", signal });
      const rows = answer.data.slice(0, topN - taken);
      taken += rows.length;
      this.parts.coins.learn(rows);
      for (const row of rows) inTop.add(row.id);
      const { records } = pricesFromMarkets(rows);
      const fresh = records.filter((record) => isNewer(record, seen));
      for (const record of fresh) seen[coinOf(record)] = Date.parse(String(record.lastUpdated));
      if (fresh.length > 0) yield { kind: "price", records: fresh, origin: { endpoint: answer.path, page } };
      if (rows.length < perPage) break;
    }
    // Coins that left the top N are forgotten, so the checkpoint does not grow without bound.
    for (const coinId of Object.keys(seen)) if (!inTop.has(coinId)) delete seen[coinId];
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
        const { path, data } = await this.parts.api.ohlc(
          coin,
          { days: options.days, interval: options.interval },
          { priority: "live", signal },
        );
        const mapped = candlesFromOhlc(data, { coinId: coin, width, mode: "window", now: this.now() });
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
      const record = analyticsFromGlobal((await this.parts.api.global({ priority: "live", signal })).data);
      const time = Date.parse(String(record.timestamp));
      if (state.analytics !== undefined && time <= state.analytics) return;
      state.analytics = time;
      yield { kind: "analytics", records: [record], origin: { endpoint: "/global" } };
    } catch (thrown) {
      state.analyticsPolledAt = previous;
      throw thrown;
    }
  }

  /** Price history: market_chart/range per coin and range; coins without a symbol are skipped. */
  private historyStream(): BackfillStream<CryptoPriceInput> | undefined {
    const options = this.config.streams.history;
    const backfill = this.historyBackfill;
    if (!options || !backfill) return undefined;
    const call = { priority: "backfill" as Priority };
    return {
      name: "history",
      kind: "price",
      backfill,
      requestsPerRead: options.requestsPerRead,
      prepare: async () => {
        // Symbols of every coin at once (250 a request), not one lookup per coin.
        const symbols = await this.parts.coins.symbolsOf(options.coins ?? this.config.coins ?? [], call);
        return {
          skips: (range) => symbols.get(range.coin) === undefined,
          fetch: (range) => historyRange(this.parts.api, symbols.get(range.coin) as string, range, call),
        };
      },
    };
  }

  /** Candle history: ohlc/range per coin and range (paid plans). */
  private candleHistoryStream(): BackfillStream<CryptoOHLCVInput> | undefined {
    const options = this.config.streams.ohlcvHistory;
    const backfill = this.candleBackfill;
    if (!options || !backfill) return undefined;
    const { interval } = options;
    const width = (interval === "hourly" ? candleWidth("1h") : candleWidth("1d")) as CandleWidth;
    const candles = {
      interval,
      width,
      now: () => this.now(),
      onWidth: (path: string, observed: CandleWidth) => this.noteWidth(path, width, observed),
    };
    return {
      name: "ohlcvHistory",
      kind: "ohlcv",
      backfill,
      requestsPerRead: options.requestsPerRead,
      walk: {
        fetch: (range) => candleRange(this.parts.api, range, candles, { priority: "backfill" }),
      },
    };
  }

  /** Up to `requestsPerRead` ranges of a backfill (all with `once`), from the checkpoint's cursor. */
  private async *backfillSlice<Record>(
    stream: BackfillStream<Record>,
    state: CoinGeckoCheckpoint,
    signal: AbortSignal,
  ): AsyncGenerator<Piece> {
    const { name, backfill } = stream;
    const cursor: BackfillCursor = backfill.start(state[name], this.now());
    state[name] = cursor;
    if (cursor.done) return;
    const walk = stream.walk ?? (await stream.prepare?.());
    if (!walk) return;
    const steps = walkBackfill(backfill, cursor, {
      ...walk,
      onCursor: (reached) => {
        state[name] = reached;
      },
      limit: this.config.once ? Number.POSITIVE_INFINITY : stream.requestsPerRead,
      signal,
    });
    for await (const { range, records, path, cursor: reached } of steps) {
      const { done, total } = backfill.progress(reached);
      this.parts.progress.update(
        name,
        done,
        total,
        `${range.coin} ${day(range.keepFrom)}→${day(range.keepTo)}`,
      );
      // Yielded even when empty: the batch carries the backfill's progress to the checkpoint.
      yield {
        kind: stream.kind,
        records,
        origin: { endpoint: path, coin: range.coin, from: iso(range.keepFrom), to: iso(range.keepTo) },
      };
    }
  }

  private noteWidth(path: string, documented: CandleWidth, observed: CandleWidth | undefined): void {
    if (!observed) return;
    this.parts.warnings.warn(
      `width ${path}`,
      [path],
      `candles are ${observed.timeframe} apart, not the documented ${documented.timeframe}; stamped with the width the data shows`,
    );
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

const iso = (ms: number) => new Date(ms).toISOString();
const day = (ms: number) => iso(ms).slice(0, 10);
