import type { CryptoOHLCV } from "@qicore/core/adapter";
import type { ExchangeCheckpoint } from "./checkpoint";
import type { CandleEvent, TradeEvent, TradeWatermark } from "./exchanges/protocol";

/** What to do with a trade: emit it, drop it as already emitted, or first fetch the trades missed before it. */
export type TradeVerdict = "emit" | "duplicate" | "gap";

interface OpenCandle {
  record: CryptoOHLCV;
  openTime: number;
  /** False once a reconnect or a lost frame may have hidden its last updates. */
  trusted: boolean;
}

interface CandleState {
  intervalMs: number;
  /** Open time of the last final candle emitted. */
  lastFinal?: number;
  open?: OpenCandle;
}

/** A range of closed candles to fetch over REST: open times from `from` to `to`, inclusive. */
export interface CandleRange {
  from: number;
  to: number;
}

/** What to do with a candle update: the ranges to fetch first, then what to emit. */
export interface CandleVerdict {
  fill: CandleRange | undefined;
  /** The previous bucket's candle, final now that a later bucket started (no closed flag on the exchange). */
  finalised?: CryptoOHLCV;
  /** The update itself: a final candle (Binance's closed kline), an open one, or nothing. */
  emit?: CryptoOHLCV;
}

/**
 * The watermark of every stream, and the rules that turn a live event into "emit it",
 * "drop it" (seen already: a replay across a reconnect or a REST seam) or "a gap is
 * before it". Trade ids that count up by one make every gap visible; elsewhere (Coinbase) a
 * stream is marked suspect when a reconnect, a heartbeat jump or a lost frame may have
 * hidden trades, and its next trade is checked by time. A final candle is emitted once.
 */
export class SeriesBook {
  private readonly trades = new Map<string, TradeWatermark>();
  private readonly candles = new Map<string, CandleState>();
  private readonly suspect = new Set<string>();

  constructor(
    private readonly consecutiveTradeIds: boolean,
    private readonly openCandles: boolean,
  ) {}

  static from(
    checkpoint: ExchangeCheckpoint | undefined,
    consecutiveTradeIds: boolean,
    openCandles: boolean,
  ): SeriesBook {
    const book = new SeriesBook(consecutiveTradeIds, openCandles);
    for (const [stream, watermark] of Object.entries(checkpoint?.trades ?? {}))
      book.trades.set(stream, watermark);
    for (const [stream, lastFinal] of Object.entries(checkpoint?.candles ?? {}))
      book.candles.set(stream, { intervalMs: 0, lastFinal });
    return book;
  }

  tradeWatermark(stream: string): TradeWatermark | undefined {
    return this.trades.get(stream);
  }

  tradeStreams(): [string, TradeWatermark][] {
    return [...this.trades.entries()];
  }

  lastFinal(stream: string): number | undefined {
    return this.candles.get(stream)?.lastFinal;
  }

  /** A reconnect or a lost frame: trades may be missing where ids do not show it, open candles may be stale. */
  markSuspect(): void {
    if (!this.consecutiveTradeIds) for (const stream of this.trades.keys()) this.suspect.add(stream);
    for (const state of this.candles.values()) if (state.open) state.open.trusted = false;
  }

  judgeTrade(event: TradeEvent): TradeVerdict {
    const watermark = this.trades.get(event.stream);
    if (!watermark) return "emit";
    const time = event.time;
    if (this.consecutiveTradeIds && event.sequence !== undefined && watermark.sequence !== undefined) {
      if (event.sequence <= watermark.sequence) return "duplicate";
      return event.sequence === watermark.sequence + 1 ? "emit" : "gap";
    }
    const sequence = event.sequence ?? 0;
    if (time < watermark.time || (time === watermark.time && sequence <= (watermark.sequence ?? -1)))
      return "duplicate";
    return this.suspect.has(event.stream) ? "gap" : "emit";
  }

  /** Records a trade as emitted: the stream's watermark moves to it. */
  emittedTrade(stream: string, tradeId: string, time: number, sequence: number | undefined): void {
    this.trades.set(stream, sequence === undefined ? { id: tradeId, time } : { id: tradeId, time, sequence });
  }

  /** The gap before a suspect stream's trade was fetched: it is trusted again. */
  cleared(stream: string): void {
    this.suspect.delete(stream);
  }

  judgeCandle(event: CandleEvent, intervalMs: number, now: number): CandleVerdict {
    const state = this.candles.get(event.stream) ?? { intervalMs };
    state.intervalMs = intervalMs;
    this.candles.set(event.stream, state);
    const { openTime } = event;
    if (state.lastFinal !== undefined && openTime <= state.lastFinal) return { fill: undefined };
    const missingBefore = (before: number): CandleRange | undefined => {
      const from = state.lastFinal === undefined ? undefined : state.lastFinal + intervalMs;
      const to = Math.min(before - intervalMs, now - intervalMs);
      return from !== undefined && from <= to ? { from, to } : undefined;
    };
    if (event.closed === true) return { fill: missingBefore(openTime), emit: event.record };
    if (event.closed === false) {
      const fill = missingBefore(openTime);
      return { fill, ...(this.openCandles ? { emit: event.record } : {}) };
    }
    // No closed flag: the open bucket is final when a later one starts.
    const open = state.open;
    state.open = {
      record: event.record,
      openTime,
      trusted: open?.openTime === openTime ? open.trusted : true,
    };
    const update = this.openCandles ? { emit: event.record } : {};
    if (!open || open.openTime === openTime)
      return { fill: open ? undefined : missingBefore(openTime), ...update };
    const expected = state.lastFinal === undefined ? open.openTime : state.lastFinal + intervalMs;
    if (open.trusted && expected === open.openTime) {
      const after = open.openTime + intervalMs;
      const to = Math.min(openTime - intervalMs, now - intervalMs);
      return {
        finalised: { ...open.record, isFinal: true },
        fill: after <= to ? { from: after, to } : undefined,
        ...update,
      };
    }
    // The previous bucket may have missed its last updates: take it, and anything before, from REST.
    return {
      fill: missingBefore(openTime) ?? {
        from: open.openTime,
        to: Math.min(openTime - intervalMs, now - intervalMs),
      },
      ...update,
    };
  }

  emittedFinalCandle(stream: string, openTime: number): void {
    const state = this.candles.get(stream);
    if (state && (state.lastFinal === undefined || openTime > state.lastFinal)) state.lastFinal = openTime;
  }

  checkpoint(): ExchangeCheckpoint {
    const candles: Record<string, number> = {};
    for (const [stream, state] of this.candles)
      if (state.lastFinal !== undefined) candles[stream] = state.lastFinal;
    return { v: 1, trades: Object.fromEntries(this.trades), candles };
  }
}
