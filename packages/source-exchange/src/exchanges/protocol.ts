import type { CryptoOHLCV, CryptoPrice, CryptoQuote, CryptoTrade } from "@qicore/core/adapter";
import type { Channel, ExchangeName } from "../config";
import type { Instrument } from "../instruments";
import type { RestClient } from "../rest-client";

/** One stream the source subscribes to: a channel of an instrument (and a width for candles). */
export interface Subscription {
  channel: Channel;
  instrument: Instrument;
  interval?: string;
}

/** The key a stream's watermark is kept under in checkpoints: `trades:BTCUSDT`, `candles:BTCUSDT:1m`. */
export function streamKey(
  subscription: Pick<Subscription, "channel" | "interval"> & { symbol: string },
): string {
  return subscription.interval
    ? `${subscription.channel}:${subscription.symbol}:${subscription.interval}`
    : `${subscription.channel}:${subscription.symbol}`;
}

export interface TradeEvent {
  type: "trade";
  stream: string;
  record: CryptoTrade;
  /** The trade time in epoch ms (the record's timestamp, not parsed again). */
  time: number;
  /** The trade id as a number where the exchange's ids are consecutive per market (gaps are visible). */
  sequence?: number;
}

export interface QuoteEvent {
  type: "quote";
  stream: string;
  record: CryptoQuote;
}

export interface CandleEvent {
  type: "candle";
  stream: string;
  record: CryptoOHLCV;
  openTime: number;
  /** True or false where the exchange says whether the candle closed; undefined where it does not. */
  closed?: boolean;
}

export type MarketEvent = TradeEvent | QuoteEvent | CandleEvent;

/** What a frame says about the connection rather than the market. */
export type ControlEvent =
  | { type: "subscribed" }
  | { type: "refused"; message: string }
  | { type: "heartbeat"; counter?: number }
  | { type: "pong" }
  | { type: "shutdown"; message: string };

export interface DecodedFrame {
  events: MarketEvent[];
  control?: ControlEvent;
  /** A per-connection message counter (Coinbase's sequence_num): a jump means lost messages. */
  sequence?: number;
}

/** One connection: its URL and the messages that subscribe it. */
export interface ConnectionPlan {
  url: string;
  subscriptions: Subscription[];
  messages: string[];
}

export interface ProtocolDefaults {
  websocketUrl: string;
  restUrl: string;
  staleAfterMs: number;
  /** Keep-alive interval; undefined where the server pings (Binance). */
  pingEveryMs?: number;
  maxConnectionAgeMs?: number;
  messagesPerSecond: number;
  restWeightPerMinute: number;
}

/** One page of trades from REST, oldest first. */
export interface TradePage {
  trades: { record: CryptoTrade; sequence?: number }[];
  /** Where the next page starts, when there may be more. */
  next?: { afterSequence?: number; afterTime: number; cursor?: string };
}

/** Where a stream of trades stands: the last trade emitted. */
export interface TradeWatermark {
  id: string;
  sequence?: number;
  time: number;
}

/**
 * What an exchange mapper provides: how to subscribe, how to read its frames, and how to
 * fetch what the stream missed over its REST API. Mappers build canonical records; the
 * connection manager, the series book and the gap filler are shared by all of them.
 */
export interface ExchangeProtocol {
  readonly name: ExchangeName;
  readonly defaults: ProtocolDefaults;
  /** Whether trade ids count up by one per market (Binance, Kraken): a jump is a gap. */
  readonly consecutiveTradeIds: boolean;
  /** The instruments of the configured symbols, with base and quote (Binance asks exchangeInfo). */
  instruments(rest: RestClient, symbols: readonly string[]): Promise<Omit<Instrument, "coinId">[]>;
  /** Called once the instruments are known, so frames can be mapped. */
  use(instruments: readonly Instrument[]): void;
  /** Connections to open for these subscriptions, each with its subscribe messages. */
  plan(
    subscriptions: readonly Subscription[],
    websocketUrl: string,
    maxStreamsPerConnection: number,
  ): ConnectionPlan[];
  /** The keep-alive to send every `pingEveryMs`: a text message, or a WebSocket ping frame. */
  keepAlive(): string | "ws-ping" | undefined;
  decode(frame: string, receivedAt: number): DecodedFrame;
  /** Trades after `after` (exclusive), oldest first, one REST page. */
  tradesAfter(rest: RestClient, instrument: Instrument, after: TradeWatermark): Promise<TradePage>;
  /** Closed candles whose open time is in [from, to], oldest first (as many pages as needed). */
  candles(
    rest: RestClient,
    instrument: Instrument,
    interval: string,
    from: number,
    to: number,
  ): Promise<CryptoOHLCV[]>;
  /** The last price of each instrument, from the exchange's ticker. */
  prices(rest: RestClient, instruments: readonly Instrument[]): Promise<CryptoPrice[]>;
}

/** Exchange frames carry prices as strings (Binance, Coinbase) or as JSON numbers (Kraken v2). */
export function decimalText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  throw new Error(`not a decimal: ${JSON.stringify(value)}`);
}
