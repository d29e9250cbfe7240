import { type CryptoTrade, validateRecord } from "@qicore/core";

/** Binance-like spot markets, with a plausible starting price each. */
const MARKETS = [
  ["BTC", "43250.17"],
  ["ETH", "2281.43"],
  ["SOL", "101.872"],
  ["XRP", "0.61234"],
  ["DOGE", "0.089123"],
  ["ADA", "0.5921"],
  ["AVAX", "38.514"],
  ["LINK", "15.1234"],
  ["DOT", "8.0123"],
  ["LTC", "72.31"],
  ["TRX", "0.10813"],
  ["ATOM", "10.2281"],
] as const;

export interface TradeStreamOptions {
  /** How many markets (at most 12). */
  markets: number;
  /** First trade time (ms); a whole 5-minute boundary keeps the buckets easy to reason about. */
  startMs: number;
  /** Trades per market. */
  perMarket: number;
  /** Event time between a market's trades. */
  stepMs: number;
  /** Seed of the deterministic price walk and amounts. */
  seed: number;
}

/** A small deterministic generator (mulberry32), so a failing run can be reproduced. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A decimal text of `value` with `digits` fractional digits, trailing zeros trimmed. */
function decimal(value: number, digits: number): string {
  return value
    .toFixed(digits)
    .replace(/(\.\d*?)0+$/, "$1")
    .replace(/\.$/, "");
}

/**
 * Trades of several markets interleaved in event-time order, as an exchange stream gives them:
 * prices walk by up to ±0.2% a trade with the market's tick precision, amounts have up to eight
 * decimals (so a volume summed wrongly shows), sides alternate at random, each trade a few
 * milliseconds off the step so buckets do not all start with a trade on the boundary. In the
 * canonical form the source's decoding produces.
 */
export function tradeStream(options: TradeStreamOptions): CryptoTrade[] {
  const next = random(options.seed);
  const markets = MARKETS.slice(0, options.markets).map(([base, start]) => {
    const digits = start.split(".")[1]?.length ?? 2;
    return { base, price: Number(start), digits, id: 1_000_000 + Math.floor(next() * 1_000_000) };
  });
  const trades: CryptoTrade[] = [];
  for (let step = 0; step < options.perMarket; step++) {
    for (const market of markets) {
      market.price *= 1 + (next() - 0.5) * 0.004;
      market.id += 1 + Math.floor(next() * 3);
      const time = options.startMs + step * options.stepMs + Math.floor(next() * (options.stepMs / 2));
      const at = new Date(time).toISOString();
      const validated = validateRecord("trade", {
        exchangeId: "binance",
        instrument: `${market.base}USDT`,
        base: market.base,
        quote: "USDT",
        tradeId: String(market.id),
        price: decimal(market.price, market.digits),
        amount: decimal(0.0001 + next() * 3, 8),
        side: next() < 0.5 ? "buy" : "sell",
        timestamp: at,
        receivedAt: new Date(time + 40 + Math.floor(next() * 200)).toISOString(),
        source: "binance",
        attribution: "Data from Binance",
      });
      if (!validated.ok) throw validated.error;
      trades.push(validated.value);
    }
  }
  return trades;
}

/**
 * One more trade per market, `afterMs` past the last one: its event time closes every bucket
 * before it (the candles processor closes by event time), while its own buckets stay open, in
 * an interrupted run and an uninterrupted one alike.
 */
export function closingTrades(trades: readonly CryptoTrade[], afterMs: number): CryptoTrade[] {
  const last = new Map<string, CryptoTrade>();
  for (const trade of trades) last.set(trade.instrument, trade);
  return [...last.values()].map((trade) => {
    const time = new Date(Date.parse(trade.timestamp) + afterMs).toISOString();
    return { ...trade, tradeId: `${trade.tradeId}9`, timestamp: time, receivedAt: time };
  });
}

/** How many candles of `widthMs` the trades fill (market × bucket with at least one trade). */
export function bucketCount(trades: readonly CryptoTrade[], widthMs: number): number {
  const buckets = new Set<string>();
  for (const trade of trades)
    buckets.add(`${trade.instrument}|${Math.floor(Date.parse(trade.timestamp) / widthMs)}`);
  return buckets.size;
}
