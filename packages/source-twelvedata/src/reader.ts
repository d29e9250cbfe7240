import {
  type CryptoOHLCVInput,
  type CryptoPriceInput,
  type HealthStatus,
  type Logger,
  type OHLCVQuery,
  type QiError,
  qiError,
  type ReadOptions,
  type RecordKind,
  type SourceBatch,
  toQiError,
} from "@qicore/core/adapter";
import { backfillShape, MAX_ROWS, planWindow, startCursor } from "./backfill";
import { type BatchRequest, planBatches, type SymbolAnswer, splitAnswer } from "./batch";
import { emptyCheckpoint, isTwelveDataCheckpoint, type TwelveDataCheckpoint } from "./checkpoint";
import type { Clock } from "./clock";
import type { TwelveDataConfig } from "./config";
import type { LiveDemand, Priority } from "./credit-budget";
import { isPermanent } from "./errors";
import type { TwelveDataHttpClient } from "./http-client";
import { type Instrument, identityFrom, type LearnedIdentity, toInstrument } from "./instruments";
import {
  type Interval,
  intervalFacts,
  intervalOfTimeframe,
  MINUTE_MS,
  supportedTimeframes,
} from "./intervals";
import { candlesFromSeries, priceFromPrice, priceFromQuote } from "./mappers";
import { apiUsageResponse, expectShape, priceResponse, quoteResponse, timeSeriesResponse } from "./responses";

interface Piece {
  kind: RecordKind;
  records: readonly unknown[];
  origin: Record<string, unknown>;
}

export interface ReaderParts {
  config: TwelveDataConfig;
  /** Names this source instance in the key's budget (its live demand). */
  sourceId: string;
  http: TwelveDataHttpClient;
  clock: Clock;
  logger: Logger;
}

/** How often live polls are assumed to come until two read() calls have shown it: often, so backfills stay modest. */
const ASSUMED_POLL_MS = MINUTE_MS;

/** Refusals that concern the symbol asked for, not the request or the key. */
const SYMBOL_ERRORS = new Set(["TWELVEDATA_BAD_REQUEST", "TWELVEDATA_PLAN_RESTRICTED", "TWELVEDATA_NO_DATA"]);

/**
 * Reads Twelve Data for one source instance: the streams of `read()` (one poll of each live
 * stream that is due, then some windows of the backfill) and the reader DSL.
 */
export class TwelveDataReader {
  private readonly quoteInstruments: Instrument[];
  private readonly candleInstruments: Instrument[];
  private readonly backfillInstruments: Instrument[];
  /** Instruments Twelve Data refused for good (unknown symbol, not in the plan): skipped with one warning. */
  private readonly refused = new Map<string, string>();
  private readonly warned = new Set<string>();
  private memory: { handedIn: unknown; lastEmitted: unknown; state: TwelveDataCheckpoint } | undefined;
  private readStarts: number[] = [];
  private lastFailure: QiError | undefined;
  /** Identities learned outside read() (DSL calls), so records agree with the streams'. */
  private readonly identities: Record<string, LearnedIdentity> = {};

  constructor(private readonly parts: ReaderParts) {
    const { config } = parts;
    const resolve = (list: typeof config.instruments) => (list ?? config.instruments ?? []).map(toInstrument);
    this.quoteInstruments = resolve(config.streams.quotes?.instruments);
    this.candleInstruments = resolve(config.streams.candles?.instruments);
    this.backfillInstruments = resolve(config.streams.backfill?.instruments);
  }

  private get config(): TwelveDataConfig {
    return this.parts.config;
  }

  private get http(): TwelveDataHttpClient {
    return this.parts.http;
  }

  private now(): number {
    return this.parts.clock.now();
  }

  // ---------------------------------------------------------------------------
  // Streams

  /**
   * One poll of each live stream that is due (quotes, candles), then up to `requestsPerRead`
   * windows of the backfill (with `once`: until it is done or the day's credits are spent).
   * Every batch carries the whole position reached after it.
   */
  async *read(options: ReadOptions): AsyncGenerator<SourceBatch> {
    const { signal } = options;
    const state = this.stateFor(options.checkpoint);
    this.noteRead();
    let lastEmitted: TwelveDataCheckpoint | undefined;
    const { streams } = this.config;
    const steps: [string, () => AsyncGenerator<Piece>][] = [];
    if (streams.quotes) steps.push(["quotes", () => this.pollQuotes(state, signal)]);
    if (streams.candles) steps.push(["candles", () => this.pollCandles(state, signal)]);
    if (streams.backfill) steps.push(["backfill", () => this.backfill(state, signal)]);
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
          this.lastFailure = error;
          if (signal.aborted) return;
          if (this.config.once || isPermanent(error)) throw error;
          this.parts.logger.warn("Twelve Data poll failed; the next poll tries again", {
            stream: name,
            code: error.code,
            error: error.message,
          });
        }
      }
    } finally {
      this.memory = { handedIn: options.checkpoint, lastEmitted, state };
    }
  }

  /**
   * The state to continue from. The runtime hands back the last checkpoint this source
   * emitted, and then the in-memory state (which also knows polls that emitted nothing) is
   * newer; any other checkpoint (a restart, a replay) is taken as it is.
   */
  private stateFor(checkpoint: unknown): TwelveDataCheckpoint {
    const memory = this.memory;
    if (memory && checkpoint === (memory.lastEmitted ?? memory.handedIn)) return memory.state;
    if (checkpoint === undefined || checkpoint === null) return emptyCheckpoint();
    if (isTwelveDataCheckpoint(checkpoint)) return structuredClone(checkpoint);
    this.parts.logger.warn("ignoring a checkpoint this source did not write; starting afresh", {
      checkpoint: JSON.stringify(checkpoint).slice(0, 200),
    });
    return emptyCheckpoint();
  }

  /**
   * Tells the key's budget what the live streams will spend until midnight, so backfills
   * leave it to them: credits per poll, at the pace set by `every` or, without it, by how
   * often read() is called (the shortest gap seen; a minute until two reads have shown it).
   */
  private noteRead(): void {
    const now = this.now();
    this.readStarts = [...this.readStarts.slice(-9), now];
    const { streams, once } = this.config;
    if (once) {
      this.http.budget.setLiveDemand(this.parts.sourceId, undefined);
      return;
    }
    const gaps = this.readStarts.slice(1).map((start, index) => start - (this.readStarts[index] as number));
    const readEvery = gaps.length > 0 ? Math.max(1, Math.min(...gaps)) : ASSUMED_POLL_MS;
    const demand: LiveDemand[] = [];
    const live = (instruments: Instrument[]) =>
      instruments.filter((instrument) => !this.refused.has(instrument.key)).length;
    if (streams.quotes && live(this.quoteInstruments) > 0)
      demand.push({
        credits: live(this.quoteInstruments),
        everyMs: Math.max(streams.quotes.every ?? 0, readEvery),
      });
    if (streams.candles && live(this.candleInstruments) > 0)
      demand.push({
        credits: live(this.candleInstruments),
        everyMs: Math.max(streams.candles.every ?? 0, readEvery),
      });
    this.http.budget.setLiveDemand(this.parts.sourceId, demand);
  }

  private due(polledAt: number | undefined, every: number | undefined): boolean {
    if (this.config.once || every === undefined || polledAt === undefined) return true;
    return this.now() - polledAt >= every;
  }

  private async *pollQuotes(state: TwelveDataCheckpoint, signal: AbortSignal): AsyncGenerator<Piece> {
    const options = this.config.streams.quotes;
    if (!options || !this.due(state.quotesPolledAt, options.every)) return;
    state.quotesPolledAt = this.now();
    state.identities ??= {};
    state.quotes ??= {};
    state.prices ??= {};
    const identities = state.identities;
    const instruments = this.usable(this.quoteInstruments);
    // /price says nothing about currency or venue, so an instrument's first poll asks /quote.
    const viaPrice =
      options.endpoint === "price" ? instruments.filter((instrument) => identities[instrument.key]) : [];
    const viaQuote = instruments.filter((instrument) => !viaPrice.includes(instrument));
    for (const request of this.batches(viaQuote)) {
      const answers = await this.fetchBatch("/quote", request, {}, "live", signal);
      const fresh: CryptoPriceInput[] = [];
      for (const instrument of request.instruments) {
        const answer = this.accept(answers.get(instrument.key), instrument, "/quote");
        if (!answer) continue;
        const quote = expectShape(quoteResponse, answer, `/quote ${instrument.symbol}`);
        const identity = this.learn(state, instrument, {
          micCode: quote.mic_code,
          exchange: quote.exchange,
          currency: quote.currency,
        });
        if (!identity) continue;
        const record = priceFromQuote(instrument, identity, quote);
        const time = Number(record.lastUpdated);
        if ((state.quotes[instrument.key] ?? Number.NEGATIVE_INFINITY) >= time) continue;
        state.quotes[instrument.key] = time;
        fresh.push(record);
      }
      if (fresh.length > 0)
        yield {
          kind: "price",
          records: fresh,
          origin: { endpoint: "/quote", symbols: request.query.symbol },
        };
    }
    for (const request of this.batches(viaPrice)) {
      const answers = await this.fetchBatch("/price", request, {}, "live", signal);
      const answeredAt = this.now();
      const fresh: CryptoPriceInput[] = [];
      for (const instrument of request.instruments) {
        const answer = this.accept(answers.get(instrument.key), instrument, "/price");
        const identity = identities[instrument.key];
        if (!answer || !identity) continue;
        const price = expectShape(priceResponse, answer, `/price ${instrument.symbol}`);
        if (state.prices[instrument.key] === price.price) continue;
        state.prices[instrument.key] = price.price;
        fresh.push(priceFromPrice(instrument, identity, price, answeredAt));
      }
      if (fresh.length > 0)
        yield {
          kind: "price",
          records: fresh,
          origin: { endpoint: "/price", symbols: request.query.symbol },
        };
    }
  }

  private async *pollCandles(state: TwelveDataCheckpoint, signal: AbortSignal): AsyncGenerator<Piece> {
    const options = this.config.streams.candles;
    if (!options || !this.due(state.candlesPolledAt, options.every)) return;
    state.candlesPolledAt = this.now();
    state.candles ??= {};
    const marks = state.candles;
    const { ms } = intervalFacts(options.interval);
    for (const request of this.batches(this.usable(this.candleInstruments))) {
      // Enough rows to reach back to the newest final candle emitted (the first poll: `outputsize`).
      const outputsize = Math.max(
        ...request.instruments.map((instrument) => {
          const final = marks[instrument.key]?.final;
          return final === undefined ? options.outputsize : Math.ceil((this.now() - final) / ms) + 2;
        }),
      );
      const answers = await this.fetchBatch(
        "/time_series",
        request,
        { interval: options.interval, outputsize: Math.min(MAX_ROWS, outputsize) },
        "live",
        signal,
      );
      const fresh: CryptoOHLCVInput[] = [];
      for (const instrument of request.instruments) {
        const candles = this.candlesOf(state, instrument, answers.get(instrument.key), options.interval);
        marks[instrument.key] ??= {};
        const mark = marks[instrument.key] as { final?: number; open?: string };
        for (const candle of candles) {
          const open = Number(candle.timestamp);
          if (candle.isFinal) {
            if (open <= (mark.final ?? Number.NEGATIVE_INFINITY)) continue;
            mark.final = open;
          } else {
            const key = candleKey(candle);
            if (key === mark.open) continue;
            mark.open = key;
          }
          fresh.push(candle);
        }
      }
      if (fresh.length > 0)
        yield {
          kind: "ohlcv",
          records: fresh,
          origin: { endpoint: "/time_series", symbols: request.query.symbol, interval: options.interval },
        };
    }
  }

  private async *backfill(state: TwelveDataCheckpoint, signal: AbortSignal): AsyncGenerator<Piece> {
    const options = this.config.streams.backfill;
    if (!options) return;
    const instruments = this.backfillInstruments;
    const shape = backfillShape(instruments, options.interval, options.from, options.to);
    let cursor = startCursor(state.backfill, shape, options.from, options.to ?? this.now());
    state.backfill = cursor;
    const limit = this.config.once ? Number.POSITIVE_INFINITY : options.requestsPerRead;
    for (let requests = 0; requests < limit && !cursor.done && !signal.aborted; ) {
      const instrument = instruments[cursor.index];
      if (!instrument) {
        cursor = { ...cursor, done: true };
        state.backfill = cursor;
        yield { kind: "ohlcv", records: [], origin: { endpoint: "/time_series", backfill: "done" } };
        return;
      }
      if (cursor.next >= cursor.to || this.refused.has(instrument.key)) {
        cursor = { ...cursor, index: cursor.index + 1, next: options.from };
        state.backfill = cursor;
        continue;
      }
      const identity = state.identities?.[instrument.key] ?? this.identities[instrument.key];
      const zone = identity?.timeZone ?? (instrument.assetClass === "equity" ? undefined : "UTC");
      const window = planWindow(options.interval, cursor.next, cursor.to, zone);
      const [request] = planBatches([instrument], 1) as [BatchRequest];
      let answers: Map<string, SymbolAnswer>;
      try {
        answers = await this.fetchBatch(
          "/time_series",
          request,
          {
            interval: options.interval,
            start_date: window.startDate,
            end_date: window.endDate,
            outputsize: MAX_ROWS,
          },
          "backfill",
          signal,
        );
      } catch (thrown) {
        const error = toQiError(thrown);
        if (error.code !== "TWELVEDATA_DAILY_CREDITS_SPENT" || this.config.once) throw error;
        this.warnOnce(`daily ${new Date(this.now()).toISOString().slice(0, 10)}`, error.message, {
          instrument: instrument.symbol,
        });
        return;
      }
      requests++;
      const candles = this.candlesOf(state, instrument, answers.get(instrument.key), options.interval).filter(
        (candle) => {
          const open = Number(candle.timestamp);
          return candle.isFinal && open >= window.keepFrom && open < window.keepTo;
        },
      );
      cursor = { ...cursor, next: window.keepTo };
      state.backfill = cursor;
      // Yielded even when empty: the batch carries the backfill's progress to the checkpoint.
      yield {
        kind: "ohlcv",
        records: candles,
        origin: {
          endpoint: "/time_series",
          symbol: instrument.symbol,
          interval: options.interval,
          from: new Date(window.keepFrom).toISOString(),
          to: new Date(window.keepTo).toISOString(),
        },
      };
    }
  }

  /** Candles of one instrument's answer; an empty range is no candles, a refused symbol is skipped. */
  private candlesOf(
    state: TwelveDataCheckpoint | undefined,
    instrument: Instrument,
    answer: SymbolAnswer | undefined,
    interval: Interval,
  ): CryptoOHLCVInput[] {
    if (answer && !answer.ok && answer.error.code === "TWELVEDATA_NO_DATA") return [];
    const body = this.accept(answer, instrument, "/time_series");
    if (!body) return [];
    const series = expectShape(timeSeriesResponse, body, `/time_series ${instrument.symbol}`);
    const identity = this.learn(state, instrument, {
      micCode: series.meta.mic_code,
      exchange: series.meta.exchange,
      currency: series.meta.currency,
      timeZone: series.meta.exchange_timezone ?? "UTC",
    });
    if (!identity) return [];
    const mapped = candlesFromSeries(instrument, identity, series, interval, this.now());
    if (mapped.unreadable.length > 0)
      this.warnOnce(
        `unreadable ${instrument.key}`,
        "Twelve Data sent candle times this source cannot read; those rows are skipped",
        {
          instrument: instrument.symbol,
          rows: mapped.unreadable.slice(0, 3),
        },
      );
    return mapped.candles;
  }

  /**
   * One instrument's part of an answer. A symbol Twelve Data refuses for good (unknown, not in
   * the plan) is skipped from now on with one warning, while the rest of the batch lands; any
   * other failure of one symbol is thrown.
   */
  private accept(
    answer: SymbolAnswer | undefined,
    instrument: Instrument,
    endpoint: string,
  ): unknown | undefined {
    if (!answer) return undefined;
    if (answer.ok) return answer.value;
    const { error } = answer;
    if (error.code === "TWELVEDATA_BAD_REQUEST" || error.code === "TWELVEDATA_PLAN_RESTRICTED") {
      this.refused.set(instrument.key, error.message);
      this.warnOnce(
        `refused ${instrument.key}`,
        `${error.message}; ${instrument.symbol} is skipped from now on`,
        {
          instrument: instrument.symbol,
          endpoint,
          code: error.code,
        },
      );
      return undefined;
    }
    throw error;
  }

  private learn(
    state: TwelveDataCheckpoint | undefined,
    instrument: Instrument,
    facts: Parameters<typeof identityFrom>[2],
  ): LearnedIdentity | undefined {
    if (state) state.identities ??= {};
    const store = state?.identities ?? this.identities;
    const known = store[instrument.key] ?? this.identities[instrument.key];
    const identity = identityFrom(instrument, known, facts);
    if (!identity) {
      this.warnOnce(
        `currency ${instrument.key}`,
        "Twelve Data's answer names no currency for this instrument; set its currency in the config",
        {
          instrument: instrument.symbol,
        },
      );
      return undefined;
    }
    store[instrument.key] = identity;
    this.identities[instrument.key] = identity;
    return identity;
  }

  private usable(instruments: readonly Instrument[]): Instrument[] {
    return instruments.filter((instrument) => !this.refused.has(instrument.key));
  }

  /** Batches no bigger than `symbolsPerRequest`, nor than the credits of a minute. */
  private batches(instruments: readonly Instrument[]): BatchRequest[] {
    return planBatches(
      instruments,
      Math.max(1, Math.min(this.config.symbolsPerRequest, this.http.budget.perMinute)),
    );
  }

  private async fetchBatch(
    path: string,
    request: BatchRequest,
    extra: Record<string, string | number | undefined>,
    priority: Priority,
    signal: AbortSignal | undefined,
  ): Promise<Map<string, SymbolAnswer>> {
    const query = { ...request.query, ...extra };
    const shown = this.http.describe(path, query);
    let body: unknown;
    try {
      body = await this.http.getJson(path, query, { credits: request.instruments.length, priority, signal });
    } catch (thrown) {
      // A lone symbol's refusal comes as the whole answer: it is that symbol's, as in a batch.
      const error = toQiError(thrown);
      const [only] = request.instruments;
      if (request.instruments.length !== 1 || !only || !SYMBOL_ERRORS.has(String(error.code))) throw error;
      return new Map([[only.key, { ok: false, error: error.withContext({ symbol: only.symbol }) }]]);
    }
    this.lastFailure = undefined;
    return splitAnswer(body, request, {
      request: shown,
      keySource: undefined,
      plan: this.config.plan,
      scrub: (text) => this.http.scrub(text),
    });
  }

  // ---------------------------------------------------------------------------
  // Reader DSL

  /**
   * Latest prices. Each id is a CoinGecko id of a configured instrument (`bitcoin` for BTC/USD)
   * or a Twelve Data symbol (`AAPL`, `EUR/USD`).
   */
  async getCurrentPrices(ids: readonly string[]): Promise<CryptoPriceInput[]> {
    const instruments = this.instrumentsFor(ids);
    const records: CryptoPriceInput[] = [];
    for (const request of this.batches(instruments)) {
      const answers = await this.fetchBatch("/quote", request, {}, "live", undefined);
      for (const instrument of request.instruments) {
        const answer = this.accept(answers.get(instrument.key), instrument, "/quote");
        if (!answer) continue;
        const quote = expectShape(quoteResponse, answer, `/quote ${instrument.symbol}`);
        const identity = this.learn(undefined, instrument, {
          micCode: quote.mic_code,
          exchange: quote.exchange,
          currency: quote.currency,
        });
        if (identity) records.push(priceFromQuote(instrument, identity, quote));
      }
    }
    return records;
  }

  /** Candles of one instrument (a coin id or a symbol, as above): the newest `limit` (default 100), or those opening in [start, end]. */
  async getOHLCV(id: string, query: OHLCVQuery): Promise<CryptoOHLCVInput[]> {
    const interval = intervalOfTimeframe(query.timeframe);
    if (!interval)
      throw qiError(
        "VALIDATION_FAILED",
        `twelvedata source: getOHLCV: Twelve Data has no ${JSON.stringify(query.timeframe)} candles; use one of ${supportedTimeframes().join(", ")}`,
        { context: { timeframe: query.timeframe } },
      );
    const [instrument] = this.instrumentsFor([id]);
    if (!instrument) return [];
    const [request] = planBatches([instrument], 1) as [BatchRequest];
    const start = query.start?.getTime();
    const end = Math.min(query.end?.getTime() ?? Number.POSITIVE_INFINITY, this.now());
    const limit = query.limit ?? (start === undefined ? 100 : Number.POSITIVE_INFINITY);
    const candles: CryptoOHLCVInput[] = [];
    if (start === undefined) {
      const answers = await this.fetchBatch(
        "/time_series",
        request,
        { interval, outputsize: Math.min(MAX_ROWS, limit) },
        "live",
        undefined,
      );
      candles.push(...this.candlesOf(undefined, instrument, answers.get(instrument.key), interval));
    } else {
      for (let next = start; next <= end; ) {
        const zone =
          this.identities[instrument.key]?.timeZone ??
          (instrument.assetClass === "equity" ? undefined : "UTC");
        const window = planWindow(interval, next, end + 1, zone);
        const answers = await this.fetchBatch(
          "/time_series",
          request,
          { interval, start_date: window.startDate, end_date: window.endDate, outputsize: MAX_ROWS },
          "live",
          undefined,
        );
        candles.push(
          ...this.candlesOf(undefined, instrument, answers.get(instrument.key), interval).filter((candle) => {
            const open = Number(candle.timestamp);
            return open >= window.keepFrom && open < window.keepTo;
          }),
        );
        next = window.keepTo;
      }
    }
    const inRange = candles.filter((candle) => {
      const open = Number(candle.timestamp);
      return (start === undefined || open >= start) && open <= end;
    });
    return Number.isFinite(limit) ? inRange.slice(-limit) : inRange;
  }

  private instrumentsFor(ids: readonly string[]): Instrument[] {
    const configured = [...this.quoteInstruments, ...this.candleInstruments, ...this.backfillInstruments];
    const found = new Map<string, Instrument>();
    for (const id of new Set(ids)) {
      // A configured market by its key first (`VOD@XNGS`, `VOD:NASDAQ`): a symbol alone finds
      // the first market it is configured on.
      const match =
        configured.find((instrument) => instrument.key === id) ??
        configured.find((instrument) => instrument.coinId === id) ??
        configured.find((instrument) => instrument.symbol === id);
      const instrument =
        match ?? (/^[A-Z0-9][A-Z0-9./-]*$/.test(id) ? toInstrument({ symbol: id }) : undefined);
      if (instrument && !this.refused.has(instrument.key)) found.set(instrument.key, instrument);
    }
    return [...found.values()];
  }

  // ---------------------------------------------------------------------------
  // Connection

  /**
   * Reads /api_usage before the pipeline starts: it proves the key (a wrong one fails at once
   * with its fix), gives the key's own credits per minute (and per day on Basic) where the
   * config names none, and what this minute and today have already spent (another process, an
   * earlier run), so the budget does not overshoot from the start.
   */
  async connect(signal?: AbortSignal): Promise<void> {
    const path = "/api_usage";
    let body: unknown;
    try {
      body = await this.http.getJson(path, {}, { credits: 1, priority: "live", signal });
    } catch (thrown) {
      const error = toQiError(thrown);
      const code = error.context.code ?? error.context.status;
      if (code !== 404 && code !== 405 && code !== 501) throw error;
      this.parts.logger.warn(
        `the server has no /api_usage (code ${code}); using the configured or plan's credit limits`,
        {
          perMinute: this.http.budget.perMinute,
          perDay: this.http.budget.perDay,
        },
      );
      return;
    }
    const usage = expectShape(apiUsageResponse, body, path);
    const budget = this.http.budget;
    if (usage.plan_limit && usage.plan_limit > 0) {
      budget.setLimits(
        {
          perMinute: usage.plan_limit,
          perDay: usage.plan_daily_limit && usage.plan_daily_limit > 0 ? usage.plan_daily_limit : undefined,
        },
        "discovered",
      );
    }
    // The /api_usage call itself is already counted by the budget.
    budget.noteUsage({
      minute: Math.max(0, (usage.current_usage ?? 0) - 1),
      day: Math.max(0, (usage.daily_usage ?? 0) - 1),
    });
    if (usage.plan_category && usage.plan_category !== this.config.plan)
      this.parts.logger.warn(
        `the key is on plan ${usage.plan_category}, the config says ${this.config.plan}; using the key's limits`,
        {
          perMinute: budget.perMinute,
          perDay: budget.perDay,
        },
      );
    this.parts.logger.info("credit limits of the key", {
      plan: usage.plan_category,
      perMinute: budget.perMinute,
      perDay: budget.perDay,
      source: budget.limitSource,
      usedThisMinute: usage.current_usage,
      usedToday: usage.daily_usage,
    });
  }

  /** Healthy unless the last request failed; spends no credits (Twelve Data has no free ping). */
  async healthCheck(): Promise<HealthStatus> {
    const details = { plan: this.config.plan, ...this.http.budget.snapshot() };
    const failure = this.lastFailure;
    if (!failure) return { status: "healthy", message: "the last request to Twelve Data succeeded", details };
    return {
      status: failure.retryable ? "degraded" : "unhealthy",
      message: failure.message,
      details: { ...details, code: failure.code },
    };
  }

  private warnOnce(topic: string, message: string, fields: Record<string, unknown>): void {
    if (this.warned.has(topic)) return;
    this.warned.add(topic);
    this.parts.logger.warn(message, fields);
  }
}

function candleKey(candle: CryptoOHLCVInput): string {
  return [candle.timestamp, candle.open, candle.high, candle.low, candle.close, candle.volume].join("|");
}
