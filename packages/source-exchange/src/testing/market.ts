/**
 * The deterministic market a stand-in plays: trade `i` (from 1) of a market has a price,
 * an amount and a time that are pure functions of `i`, so the full series a test expects
 * is known without recording anything. Prices are whole cents and amounts whole units of
 * 1e-8, kept as integers and printed as exact decimal strings; candles are computed from
 * the trades of their bucket the same way on the WebSocket and over REST.
 */
export interface MarketTrade {
  id: number;
  /** Price and amount as the exchange prints them. */
  price: string;
  amount: string;
  priceCents: number;
  amountUnits: number;
  timeMs: number;
  /** The taker's side. */
  side: "buy" | "sell";
}

export interface MarketCandle {
  openTime: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  trades: number;
}

const cents = (value: number) => `${Math.floor(value / 100)}.${String(value % 100).padStart(2, "0")}`;
const units = (value: number) => `${Math.floor(value / 1e8)}.${String(value % 1e8).padStart(8, "0")}`;

export class MarketSeries {
  constructor(
    /** Time of trade 0 (none happens then); trade i is at start + i * spacing. */
    readonly startMs: number,
    readonly spacingMs: number,
    private readonly basePriceCents: number,
  ) {}

  trade(id: number): MarketTrade {
    const priceCents = this.basePriceCents + ((id * 7919) % 50_000) - 25_000;
    const amountUnits = ((id * 104_729) % 99_999_999) + 1;
    return {
      id,
      priceCents,
      amountUnits,
      price: cents(priceCents),
      amount: units(amountUnits),
      timeMs: this.startMs + id * this.spacingMs,
      side: id % 3 === 0 ? "sell" : "buy",
    };
  }

  /** Trade ids with times in [from, to). */
  tradeIdsBetween(from: number, to: number): { first: number; last: number } {
    const first = Math.max(1, Math.ceil((from - this.startMs) / this.spacingMs));
    const last = Math.ceil((to - this.startMs) / this.spacingMs) - 1;
    return { first, last };
  }

  bucketOf(timeMs: number, intervalMs: number): number {
    return Math.floor(timeMs / intervalMs) * intervalMs;
  }

  /** The candle of the bucket opening at `openTime`, from its trades up to `lastId`; undefined when it has none. */
  candle(openTime: number, intervalMs: number, lastId: number): MarketCandle | undefined {
    const { first, last } = this.tradeIdsBetween(openTime, openTime + intervalMs);
    const end = Math.min(last, lastId);
    if (end < first) return undefined;
    let high = Number.NEGATIVE_INFINITY;
    let low = Number.POSITIVE_INFINITY;
    let volume = 0;
    for (let id = first; id <= end; id++) {
      const trade = this.trade(id);
      high = Math.max(high, trade.priceCents);
      low = Math.min(low, trade.priceCents);
      volume += trade.amountUnits;
    }
    return {
      openTime,
      open: this.trade(first).price,
      high: cents(high),
      low: cents(low),
      close: this.trade(end).price,
      volume: units(volume),
      trades: end - first + 1,
    };
  }

  /** Whether the bucket is over once trade `lastId` happened (a later trade exists). */
  closed(openTime: number, intervalMs: number, lastId: number): boolean {
    return this.tradeIdsBetween(openTime, openTime + intervalMs).last < lastId;
  }
}
