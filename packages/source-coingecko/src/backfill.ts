import { DAY_MS } from "./candles";

/** Where a backfill stands, as kept in the checkpoint: the next range to fetch. */
export interface BackfillCursor {
  /** Coins, range and granularity the cursor belongs to; a changed config starts over. */
  signature: string;
  /** End of the backfill (exclusive), fixed at its first run when the config gives none. */
  end: number;
  /** Coin of the next range; absent once done. */
  coin?: string;
  /** Start of the next range. */
  from?: number;
  done?: boolean;
}

/** One request of a backfill: what to ask for and which part of the answer to keep. */
export interface BackfillRange {
  coin: string;
  coinIndex: number;
  /** Range to keep: [keepFrom, keepTo). */
  keepFrom: number;
  keepTo: number;
  /** Range to request; may start earlier than keepFrom (see `requestFloorMs`). */
  requestFrom: number;
  requestTo: number;
}

export interface BackfillShape {
  coins: readonly string[];
  from: number;
  to: number | undefined;
  /** Longest range one request may cover. */
  chunkMs: number;
  /**
   * Shortest range a request may cover. CoinGecko picks the granularity of
   * market_chart/range from the range's length (up to 1 day from now: 5-minutely; 2-90
   * days: hourly; more: daily), so a short last range is asked for as a longer one
   * reaching further back, and only its own part is kept.
   */
  requestFloorMs: number;
  /** Extra time after the range's end in the request (candles stamped at close). */
  requestTailMs: number;
  /** Distinguishes configs sharing coins and range (granularity, interval). */
  variant: string;
}

/** A backfill over coins × ranges, walked in order, resumable from its cursor. */
export class Backfill {
  constructor(private readonly shape: BackfillShape) {}

  get signature(): string {
    const { coins, from, to, variant } = this.shape;
    return `${variant}|${coins.join(",")}|${from}|${to ?? "open"}`;
  }

  /** The cursor to continue from: the checkpoint's when it belongs to this backfill, else a fresh one. */
  start(saved: BackfillCursor | undefined, now: number): BackfillCursor {
    if (saved && saved.signature === this.signature) return saved;
    const end = this.shape.to ?? now;
    const first = this.shape.coins[0];
    if (first === undefined || end <= this.shape.from) return { signature: this.signature, end, done: true };
    return { signature: this.signature, end, coin: first, from: this.shape.from };
  }

  /** The range the cursor points at; undefined when done. */
  range(cursor: BackfillCursor): BackfillRange | undefined {
    if (cursor.done || cursor.coin === undefined || cursor.from === undefined) return undefined;
    const coinIndex = this.shape.coins.indexOf(cursor.coin);
    if (coinIndex < 0) return undefined;
    const keepFrom = cursor.from;
    const keepTo = Math.min(cursor.end, keepFrom + this.shape.chunkMs);
    const requestFrom = Math.min(keepFrom, keepTo - this.shape.requestFloorMs);
    return {
      coin: cursor.coin,
      coinIndex,
      keepFrom,
      keepTo,
      requestFrom,
      requestTo: keepTo + this.shape.requestTailMs,
    };
  }

  /** The cursor after `range` was fetched. */
  advance(cursor: BackfillCursor, range: BackfillRange): BackfillCursor {
    if (range.keepTo < cursor.end) return { ...cursor, coin: range.coin, from: range.keepTo };
    const nextCoin = this.shape.coins[range.coinIndex + 1];
    if (nextCoin === undefined) return { signature: cursor.signature, end: cursor.end, done: true };
    return { ...cursor, coin: nextCoin, from: this.shape.from };
  }

  /** The cursor at the start of the coin after the cursor's coin (a coin that cannot be fetched). */
  skipCoin(cursor: BackfillCursor): BackfillCursor {
    const index = this.shape.coins.indexOf(cursor.coin ?? "");
    const nextCoin = index < 0 ? undefined : this.shape.coins[index + 1];
    if (nextCoin === undefined) return { signature: cursor.signature, end: cursor.end, done: true };
    return { ...cursor, coin: nextCoin, from: this.shape.from };
  }

  /** Requests done and in total, for progress. */
  progress(cursor: BackfillCursor): { done: number; total: number } {
    const perCoin = Math.max(1, Math.ceil((cursor.end - this.shape.from) / this.shape.chunkMs));
    const total = perCoin * this.shape.coins.length;
    if (cursor.done) return { done: total, total };
    const coinIndex = Math.max(0, this.shape.coins.indexOf(cursor.coin ?? ""));
    const within = Math.floor(((cursor.from ?? this.shape.from) - this.shape.from) / this.shape.chunkMs);
    return { done: coinIndex * perCoin + within, total };
  }
}

/** market_chart/range backfills: 90-day requests for hourly points, 365-day ones for daily points. */
export function historyShape(
  coins: readonly string[],
  from: number,
  to: number | undefined,
  granularity: "hourly" | "daily",
): BackfillShape {
  return granularity === "hourly"
    ? {
        coins,
        from,
        to,
        chunkMs: 90 * DAY_MS,
        requestFloorMs: 2 * DAY_MS,
        requestTailMs: 0,
        variant: "hourly",
      }
    : {
        coins,
        from,
        to,
        chunkMs: 365 * DAY_MS,
        requestFloorMs: 91 * DAY_MS,
        requestTailMs: 0,
        variant: "daily",
      };
}

/**
 * /ohlc/range backfills: CoinGecko allows 31 days of hourly or 180 days of daily candles a
 * request, stamped at close, so each request reaches one candle past its range.
 */
export function candleHistoryShape(
  coins: readonly string[],
  from: number,
  to: number | undefined,
  interval: "hourly" | "daily",
): BackfillShape {
  const width = interval === "hourly" ? DAY_MS / 24 : DAY_MS;
  const chunkMs = interval === "hourly" ? 30 * DAY_MS : 179 * DAY_MS;
  return { coins, from, to, chunkMs, requestFloorMs: 0, requestTailMs: width, variant: `ohlc-${interval}` };
}
