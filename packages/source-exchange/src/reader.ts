import type {
  AdapterContext,
  CryptoOHLCV,
  CryptoPrice,
  HealthStatus,
  MarketRecord,
  OHLCVQuery,
  ReadOptions,
  RecordKind,
  SourceBatch,
} from "@qicore/core/adapter";
import { readCheckpoint } from "./checkpoint";
import { type Clock, systemClock } from "./clock";
import type { ExchangeConfig } from "./config";
import { ExchangeConnection } from "./connection";
import { timeframeMs } from "./duration";
import { subscriptionRefused } from "./errors";
import type {
  CandleEvent,
  ExchangeProtocol,
  MarketEvent,
  Subscription,
  TradeEvent,
} from "./exchanges/protocol";
import { streamKey } from "./exchanges/protocol";
import { FrameQueue, type QueuedItem } from "./frame-queue";
import { GapFiller } from "./gap-filler";
import { type Instrument, withCoinId } from "./instruments";
import type { RestClient } from "./rest-client";
import { type CandleRange, type CandleVerdict, SeriesBook } from "./series-book";

const KIND_ORDER: readonly RecordKind[] = ["trade", "quote", "ohlcv"];

/** Counters the health check and the benchmark read. */
export interface ReaderStats {
  frames: number;
  malformedFrames: number;
  duplicatesDropped: number;
  gapsFound: number;
  gapsFilled: number;
  recordsFetchedOverRest: number;
  reconnects: number;
  staleConnections: number;
  restRequests: number;
  restWeight: number;
}

interface StreamInfo {
  instrument: Instrument;
  interval?: string;
  intervalMs?: number;
}

/**
 * The source's work: subscribes over one or more connections, turns frames into records,
 * closes gaps (on a sequence break, a missing candle, a reconnect, and after a restart from
 * the checkpoint's watermarks) and yields batches whose checkpoint is every stream's
 * watermark.
 */
export class ExchangeReader {
  private instruments: Instrument[] = [];
  private readonly streams = new Map<string, StreamInfo>();
  private connections: ExchangeConnection[] = [];
  private filler: GapFiller | undefined;
  private readonly counters = { frames: 0, malformedFrames: 0, duplicatesDropped: 0 };
  private readonly closedConnections = { reconnects: 0, stale: 0 };

  constructor(
    private readonly config: ExchangeConfig,
    private readonly protocol: ExchangeProtocol,
    private readonly rest: RestClient,
    private readonly context: AdapterContext,
    private readonly clock: Clock,
  ) {}

  async connect(): Promise<void> {
    const resolved = await this.protocol.instruments(this.rest, this.config.symbols);
    this.instruments = resolved.map((instrument) => withCoinId(instrument, this.config.coinIds));
    this.protocol.use(this.instruments);
    for (const subscription of this.subscriptions()) {
      const key = streamKey({ ...subscription, symbol: subscription.instrument.symbol });
      this.streams.set(key, {
        instrument: subscription.instrument,
        ...(subscription.interval
          ? { interval: subscription.interval, intervalMs: timeframeMs(subscription.interval) }
          : {}),
      });
    }
  }

  private subscriptions(): Subscription[] {
    const list: Subscription[] = [];
    for (const instrument of this.instruments)
      for (const channel of this.config.channels) {
        if (channel !== "candles") list.push({ channel, instrument });
        else for (const interval of this.config.intervals) list.push({ channel, instrument, interval });
      }
    return list;
  }

  stats(): ReaderStats {
    const live = this.connections.reduce(
      (sum, connection) => ({
        reconnects: sum.reconnects + connection.stats.reconnects,
        stale: sum.stale + connection.stats.stale,
      }),
      { ...this.closedConnections },
    );
    return {
      ...this.counters,
      gapsFound: this.filler?.stats.found ?? 0,
      gapsFilled: this.filler?.stats.filled ?? 0,
      recordsFetchedOverRest: this.filler?.stats.recordsFetched ?? 0,
      reconnects: live.reconnects,
      staleConnections: live.stale,
      restRequests: this.rest.stats.requests,
      restWeight: this.rest.stats.weight,
    };
  }

  async healthCheck(): Promise<HealthStatus> {
    const open = this.connections.filter((connection) => connection.open).length;
    const details = { ...this.stats(), connections: this.connections.length, open };
    if (this.instruments.length === 0) return { status: "unhealthy", message: "not connected", details };
    if (this.connections.length > 0 && open < this.connections.length)
      return {
        status: "degraded",
        message: `${open} of ${this.connections.length} connections open`,
        details,
      };
    return { status: "healthy", details };
  }

  async *read(options: ReadOptions): AsyncGenerator<SourceBatch> {
    const book = SeriesBook.from(
      readCheckpoint(options.checkpoint),
      this.protocol.consecutiveTradeIds,
      this.config.openCandles,
    );
    const filler = new GapFiller(this.protocol, this.rest, book, this.context.logger);
    this.filler = filler;
    const connections: ExchangeConnection[] = [];
    const queue = new FrameQueue({
      pause: () => {
        for (const connection of connections) connection.pause();
      },
      resume: () => {
        for (const connection of connections) connection.resume();
      },
    });
    const defaults = this.protocol.defaults;
    const plans = this.protocol.plan(
      this.subscriptions(),
      this.config.websocketUrl ?? defaults.websocketUrl,
      this.config.maxStreamsPerConnection,
    );
    for (const [index, plan] of plans.entries()) {
      const pingEveryMs = this.config.pingEvery ?? defaults.pingEveryMs;
      const maxAgeMs = this.config.maxConnectionAge ?? defaults.maxConnectionAgeMs;
      connections.push(
        new ExchangeConnection({
          label: `${this.protocol.name}#${index + 1}`,
          url: plan.url,
          messages: plan.messages,
          messagesPerSecond: this.config.subscribeMessagesPerSecond ?? defaults.messagesPerSecond,
          staleAfterMs: this.config.staleAfter ?? defaults.staleAfterMs,
          ...(pingEveryMs ? { pingEveryMs, keepAlive: () => this.protocol.keepAlive() } : {}),
          ...(maxAgeMs ? { maxAgeMs } : {}),
          reconnect: {
            initialDelayMs: this.config.reconnect.initialDelay,
            maxDelayMs: this.config.reconnect.maxDelay,
          },
          logger: this.context.logger,
          // The system clock's time is the socket's own clock read.
          ...(this.clock === systemClock ? {} : { now: () => this.clock.now() }),
          onFrame: (text, receivedAt, epoch) =>
            queue.push({ type: "frame", text, receivedAt, connection: index, epoch }),
          onOpen: (epoch) => queue.push({ type: "open", connection: index, epoch }),
        }),
      );
    }
    this.connections = connections;
    const batches = new Batcher(this.config.batchSize);
    const heartbeats = new Map<number, { counter?: number; sequence?: number; epoch: number }>();
    // Live frames queue up from now on; the restart backfill below runs before they are read.
    for (const connection of connections) connection.start();
    try {
      if (this.config.gapFill) {
        await this.backfillFromCheckpoint(book, filler, batches);
        if (batches.size > 0) yield* batches.flush(book.checkpoint());
      }
      while (!options.signal.aborted) {
        const items = await queue.take(this.config.batchSize, options.signal);
        if (!items) break;
        for (const item of items) {
          // Frames are handled without a promise turn each; only a gap waits (for REST).
          const filling = this.handle(item, book, filler, batches, heartbeats, connections);
          if (filling) await filling;
          if (batches.size >= this.config.batchSize) yield* batches.flush(book.checkpoint());
        }
        if (queue.length === 0 && batches.size > 0) yield* batches.flush(book.checkpoint());
      }
    } finally {
      await Promise.all(connections.map((connection) => connection.stop()));
      for (const connection of connections) {
        this.closedConnections.reconnects += connection.stats.reconnects;
        this.closedConnections.stale += connection.stats.stale;
      }
      this.connections = [];
    }
  }

  private handle(
    item: QueuedItem,
    book: SeriesBook,
    filler: GapFiller,
    batches: Batcher,
    heartbeats: Map<number, { counter?: number; sequence?: number; epoch: number }>,
    connections: ExchangeConnection[],
  ): Promise<void> | undefined {
    if (item.type === "open") {
      if (item.epoch > 1) book.markSuspect();
      return undefined;
    }
    this.counters.frames++;
    let decoded: ReturnType<ExchangeProtocol["decode"]>;
    try {
      decoded = this.protocol.decode(item.text, item.receivedAt);
    } catch (thrown) {
      // A malformed or truncated frame may have held trades or a candle's last update.
      this.counters.malformedFrames++;
      book.markSuspect();
      this.context.logger.warn(
        `${this.protocol.name}: dropped an unreadable frame (${(thrown as Error).message})`,
        {
          frame: item.text.slice(0, 200),
        },
      );
      return;
    }
    let state = heartbeats.get(item.connection);
    if (!state || state.epoch !== item.epoch) {
      state = { epoch: item.epoch };
      heartbeats.set(item.connection, state);
    }
    if (decoded.sequence !== undefined) {
      if (state.sequence !== undefined && decoded.sequence !== state.sequence + 1) book.markSuspect();
      state.sequence = decoded.sequence;
    }
    const control = decoded.control;
    if (control?.type === "refused")
      throw subscriptionRefused(
        this.protocol.name,
        control.message,
        this.config.websocketUrl ?? this.protocol.defaults.websocketUrl,
      );
    if (control?.type === "shutdown") connections[item.connection]?.restart();
    if (control?.type === "heartbeat" && control.counter !== undefined) {
      if (state.counter !== undefined && control.counter !== state.counter + 1) book.markSuspect();
      state.counter = control.counter;
    }
    const events = decoded.events;
    for (let index = 0; index < events.length; index++) {
      const filling = this.accept(events[index] as MarketEvent, book, filler, batches);
      // A gap: the rest of the frame waits for the fill, in order.
      if (filling) return this.acceptAfter(filling, events.slice(index + 1), book, filler, batches);
    }
    return undefined;
  }

  private async acceptAfter(
    filling: Promise<void>,
    rest: MarketEvent[],
    book: SeriesBook,
    filler: GapFiller,
    batches: Batcher,
  ): Promise<void> {
    await filling;
    for (const event of rest) await this.accept(event, book, filler, batches);
  }

  /** Emits the event's record, or returns the REST fill that must come first (then emits it). */
  private accept(
    event: MarketEvent,
    book: SeriesBook,
    filler: GapFiller,
    batches: Batcher,
  ): Promise<void> | undefined {
    if (event.type === "quote") {
      batches.add("quote", event.record);
      return undefined;
    }
    const stream = this.streams.get(event.stream);
    if (!stream) return undefined;
    if (event.type === "trade") {
      const verdict = book.judgeTrade(event);
      if (verdict === "duplicate") {
        this.counters.duplicatesDropped++;
        return undefined;
      }
      if (verdict === "gap" && this.config.gapFill)
        return this.fillTrades(event, stream, book, filler, batches);
      book.cleared(event.stream);
      batches.add("trade", event.record);
      book.emittedTrade(event.stream, event.record.tradeId, event.time, event.sequence);
      return undefined;
    }
    const verdict = book.judgeCandle(event, stream.intervalMs as number, this.clock.now());
    if (verdict.fill && this.config.gapFill)
      return this.fillCandles(event, verdict, stream, book, filler, batches);
    this.emitCandles(event, verdict, book, batches, []);
    return undefined;
  }

  private async fillTrades(
    event: TradeEvent,
    stream: StreamInfo,
    book: SeriesBook,
    filler: GapFiller,
    batches: Batcher,
  ): Promise<void> {
    const why = this.protocol.consecutiveTradeIds ? "trade ids jumped" : "after a reconnect or lost message";
    const until =
      event.sequence !== undefined ? { time: event.time, sequence: event.sequence } : { time: event.time };
    for (const trade of await filler.trades(event.stream, stream.instrument, until, why)) {
      batches.add("trade", trade.record);
      book.emittedTrade(
        event.stream,
        trade.record.tradeId,
        Date.parse(trade.record.timestamp),
        trade.sequence,
      );
    }
    book.cleared(event.stream);
    if (book.judgeTrade(event) === "duplicate") {
      this.counters.duplicatesDropped++;
      return;
    }
    batches.add("trade", event.record);
    book.emittedTrade(event.stream, event.record.tradeId, event.time, event.sequence);
  }

  private async fillCandles(
    event: CandleEvent,
    verdict: CandleVerdict,
    stream: StreamInfo,
    book: SeriesBook,
    filler: GapFiller,
    batches: Batcher,
  ): Promise<void> {
    const range = verdict.fill as CandleRange;
    const fetched = await filler.candles(
      event.stream,
      stream.instrument,
      stream.interval as string,
      range,
      "missing candles",
    );
    this.emitCandles(event, verdict, book, batches, fetched);
  }

  /** The bucket finalised by this update, then the candles fetched over REST, then the update itself. */
  private emitCandles(
    event: CandleEvent,
    verdict: CandleVerdict,
    book: SeriesBook,
    batches: Batcher,
    fetched: readonly CryptoOHLCV[],
  ): void {
    if (verdict.finalised) {
      batches.add("ohlcv", verdict.finalised);
      book.emittedFinalCandle(event.stream, Date.parse(verdict.finalised.timestamp));
    }
    for (const candle of fetched) {
      const openTime = Date.parse(candle.timestamp);
      if ((book.lastFinal(event.stream) ?? Number.NEGATIVE_INFINITY) >= openTime) continue;
      batches.add("ohlcv", candle);
      book.emittedFinalCandle(event.stream, openTime);
    }
    if (!verdict.emit) return;
    if (verdict.emit.isFinal) {
      if ((book.lastFinal(event.stream) ?? Number.NEGATIVE_INFINITY) >= event.openTime) return;
      book.emittedFinalCandle(event.stream, event.openTime);
    }
    batches.add("ohlcv", verdict.emit);
  }

  /** After a restart: what every stream missed since its committed watermark, before going live. */
  private async backfillFromCheckpoint(book: SeriesBook, filler: GapFiller, batches: Batcher): Promise<void> {
    const now = this.clock.now();
    for (const [stream, watermark] of book.tradeStreams()) {
      const info = this.streams.get(stream);
      if (!info) continue;
      if (now - watermark.time > this.config.maxBackfill) {
        this.context.logger.warn(
          `${this.protocol.name} ${stream}: the checkpoint is older than maxBackfill; trades before now are not fetched`,
          { watermark: new Date(watermark.time).toISOString() },
        );
        continue;
      }
      for (const trade of await filler.trades(stream, info.instrument, undefined, "restart")) {
        batches.add("trade", trade.record);
        book.emittedTrade(stream, trade.record.tradeId, Date.parse(trade.record.timestamp), trade.sequence);
      }
    }
    for (const [stream, info] of this.streams) {
      const lastFinal = book.lastFinal(stream);
      if (lastFinal === undefined || !info.intervalMs || !info.interval) continue;
      const from = Math.max(lastFinal + info.intervalMs, now - this.config.maxBackfill);
      const to = Math.floor(now / info.intervalMs) * info.intervalMs - info.intervalMs;
      if (from > to) continue;
      for (const candle of await filler.candles(
        stream,
        info.instrument,
        info.interval,
        { from, to },
        "restart",
      )) {
        batches.add("ohlcv", candle);
        book.emittedFinalCandle(stream, Date.parse(candle.timestamp));
      }
    }
  }

  /** DSL: the last price of each instrument whose base asset has this coin id, from the ticker. */
  async getCurrentPrices(coinIds: readonly string[]): Promise<CryptoPrice[]> {
    const wanted = this.instruments.filter(
      (instrument) => instrument.coinId && coinIds.includes(instrument.coinId),
    );
    return this.protocol.prices(this.rest, wanted);
  }

  /** DSL: closed candles of the first instrument of this coin, over REST. */
  async getOHLCV(coinId: string, query: OHLCVQuery): Promise<CryptoOHLCV[]> {
    const instrument = this.instruments.find((candidate) => candidate.coinId === coinId);
    if (!instrument) return [];
    const intervalMs = timeframeMs(query.timeframe);
    const lastClosed =
      Math.floor(Math.min(query.end?.getTime() ?? this.clock.now(), this.clock.now()) / intervalMs) *
        intervalMs -
      intervalMs;
    const from = query.start?.getTime() ?? lastClosed - ((query.limit ?? 100) - 1) * intervalMs;
    const candles = await this.protocol.candles(this.rest, instrument, query.timeframe, from, lastClosed);
    return query.limit ? candles.slice(-query.limit) : candles;
  }
}

/** Records gathered between two yields, by kind, with the checkpoint on the last batch of a flush. */
class Batcher {
  private readonly records = new Map<RecordKind, MarketRecord[]>();
  size = 0;

  constructor(private readonly batchSize: number) {}

  add(kind: RecordKind, record: MarketRecord): void {
    let list = this.records.get(kind);
    if (!list) {
      list = [];
      this.records.set(kind, list);
    }
    list.push(record);
    this.size++;
  }

  *flush(checkpoint: unknown): Generator<SourceBatch> {
    const kinds = KIND_ORDER.filter((kind) => (this.records.get(kind)?.length ?? 0) > 0);
    for (const [position, kind] of kinds.entries()) {
      const records = this.records.get(kind) as MarketRecord[];
      this.records.set(kind, []);
      for (let start = 0; start < records.length; start += this.batchSize) {
        const last = position === kinds.length - 1 && start + this.batchSize >= records.length;
        yield {
          kind,
          records: records.slice(start, start + this.batchSize),
          ...(last ? { checkpoint } : {}),
        };
      }
    }
    this.size = 0;
  }
}
