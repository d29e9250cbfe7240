import type { MarketCandle, MarketSeries, MarketTrade } from "./market";

/** A market the stand-in plays, with the exchange's own symbol. */
export interface StandInMarket {
  symbol: string;
  base: string;
  quote: string;
  series: MarketSeries;
}

export type StandInChannel = "trades" | "quotes" | "candles";

export interface StandInSubscription {
  channel: StandInChannel;
  symbol: string;
  /** Candle width in ms, for candles. */
  intervalMs?: number;
}

/** What a dialect can see and do on one client connection. */
export interface DialectConnection {
  subscriptions: StandInSubscription[];
  /** Messages sent on this connection so far (Coinbase's sequence_num, heartbeat counters). */
  sent: number;
  heartbeats: number;
  send(text: string): void;
}

/** The server's side, as REST handlers and subscribe handling need it. */
export interface DialectContext {
  markets: readonly StandInMarket[];
  market(symbol: string): StandInMarket | undefined;
  /** The last trade id that happened on a market. */
  position(symbol: string): number;
  refuseSubscriptions: boolean;
  /** Takes request weight; false when the caller is over its limit (answer 429). */
  spend(weight: number): boolean;
}

export interface RestAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * One exchange's wire format, as its documentation shows it: how subscriptions look and
 * are answered, how trades, quotes and candles are framed, and the REST endpoints the
 * source uses. The stand-in server around it is the same for every exchange.
 */
export interface Dialect {
  readonly name: string;
  /** Answers a client message: subscriptions (added to `connection`), pings. */
  onMessage(message: Record<string, unknown>, connection: DialectConnection, context: DialectContext): void;
  trade(connection: DialectConnection, market: StandInMarket, trade: MarketTrade): string;
  quote(connection: DialectConnection, market: StandInMarket, trade: MarketTrade): string;
  /** An update of the bucket's candle; `closed` where the exchange says so (Binance). */
  candle(
    connection: DialectConnection,
    market: StandInMarket,
    intervalMs: number,
    candle: MarketCandle,
    closed: boolean,
  ): string | undefined;
  /** The application heartbeat sent every second (Coinbase, Kraken); none for Binance. */
  heartbeat?(connection: DialectConnection): string;
  rest(path: string, query: URLSearchParams, context: DialectContext): RestAnswer;
}

export const notFound = (path: string): RestAnswer => ({ status: 404, body: { error: `no route ${path}` } });
