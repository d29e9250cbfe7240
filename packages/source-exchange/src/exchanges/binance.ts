import type { CryptoOHLCV, CryptoPrice } from "@qicore/core/adapter";
import type { Clock } from "../clock";
import { configError } from "../errors";
import type { Instrument } from "../instruments";
import type { RecordFactory } from "../records";
import type { RestClient } from "../rest-client";
import { BinanceTradeScanner } from "./binance-trade-scan";
import {
  type ConnectionPlan,
  type DecodedFrame,
  type ExchangeProtocol,
  type MarketEvent,
  type Subscription,
  streamKey,
  type TradeEvent,
  type TradePage,
  type TradeWatermark,
} from "./protocol";

/** Streams per SUBSCRIBE message: small messages, few of them (5 messages a second at most). */
const STREAMS_PER_MESSAGE = 200;
const PAGE = 1000;
const EXCHANGE_INFO_SYMBOLS = 100;

// Binance spot, from its own documentation (web-socket-streams.md and rest-api.md):
// combined streams wrap each event as {"stream", "data"}; the server pings every 20 s and
// drops a connection after 24 hours; a connection takes 5 incoming messages a second and
// 1024 streams; REST weights are 6000 a minute (klines 2, aggTrades 4, historicalTrades 25).
export class BinanceProtocol implements ExchangeProtocol {
  readonly name = "binance" as const;
  readonly defaults = {
    websocketUrl: "wss://stream.binance.com:9443",
    restUrl: "https://api.binance.com",
    staleAfterMs: 60_000,
    maxConnectionAgeMs: 23 * 3_600_000 + 50 * 60_000,
    messagesPerSecond: 4,
    restWeightPerMinute: 3_000,
  };
  readonly consecutiveTradeIds = true;
  private bySymbol = new Map<string, Instrument>();
  private tradeKeys = new Map<string, string>();
  private readonly scanner: BinanceTradeScanner | undefined;

  /** `scanTrades: false` sends every frame through JSON.parse (tests compare the two ways). */
  constructor(
    private readonly factory: RecordFactory,
    private readonly clock: Clock,
    private readonly tradeStream: "trade" | "aggTrade",
    scanTrades = true,
  ) {
    this.scanner = scanTrades ? new BinanceTradeScanner() : undefined;
  }

  async instruments(rest: RestClient, symbols: readonly string[]): Promise<Omit<Instrument, "coinId">[]> {
    const found = new Map<string, { symbol: string; baseAsset: string; quoteAsset: string }>();
    const wanted = symbols.map((symbol) => symbol.toUpperCase());
    // A few hundred symbols a request keeps the URL short (the weight is 20 either way).
    for (let start = 0; start < wanted.length; start += EXCHANGE_INFO_SYMBOLS) {
      const info = await rest.get<{ symbols: { symbol: string; baseAsset: string; quoteAsset: string }[] }>(
        "/api/v3/exchangeInfo",
        { symbols: JSON.stringify(wanted.slice(start, start + EXCHANGE_INFO_SYMBOLS)) },
        20,
      );
      for (const entry of info.symbols) found.set(entry.symbol, entry);
    }
    return wanted.map((symbol) => {
      const entry = found.get(symbol);
      if (!entry) throw configError(`Binance has no spot symbol ${symbol}`, { symbol });
      return {
        symbol: entry.symbol,
        base: entry.baseAsset.toUpperCase(),
        quote: entry.quoteAsset.toUpperCase(),
      };
    });
  }

  use(instruments: readonly Instrument[]): void {
    this.bySymbol = new Map(instruments.map((instrument) => [instrument.symbol, instrument]));
    this.tradeKeys = new Map(
      instruments.map((instrument) => [
        instrument.symbol,
        streamKey({ channel: "trades", symbol: instrument.symbol }),
      ]),
    );
  }

  /** The trades stream's key, made once per instrument rather than once per trade. */
  private tradeStreamKey(instrument: Instrument): string {
    return (
      this.tradeKeys.get(instrument.symbol) ?? streamKey({ channel: "trades", symbol: instrument.symbol })
    );
  }

  streamName(subscription: Subscription): string {
    const symbol = subscription.instrument.symbol.toLowerCase();
    if (subscription.channel === "trades") return `${symbol}@${this.tradeStream}`;
    if (subscription.channel === "quotes") return `${symbol}@bookTicker`;
    return `${symbol}@kline_${subscription.interval}`;
  }

  plan(subscriptions: readonly Subscription[], websocketUrl: string, maxStreams: number): ConnectionPlan[] {
    const plans: ConnectionPlan[] = [];
    let id = 0;
    for (let start = 0; start < subscriptions.length; start += maxStreams) {
      const group = subscriptions.slice(start, start + maxStreams);
      const names = group.map((subscription) => this.streamName(subscription));
      const messages: string[] = [];
      for (let from = 0; from < names.length; from += STREAMS_PER_MESSAGE)
        messages.push(
          JSON.stringify({
            method: "SUBSCRIBE",
            params: names.slice(from, from + STREAMS_PER_MESSAGE),
            id: ++id,
          }),
        );
      plans.push({ url: `${websocketUrl.replace(/\/$/, "")}/stream`, subscriptions: group, messages });
    }
    return plans;
  }

  keepAlive(): undefined {
    // The server pings every 20 s and ws answers with pongs; a client ping would count
    // against the 5 messages a second.
    return undefined;
  }

  decode(frame: string, receivedAt: number): DecodedFrame {
    const scanner = this.scanner;
    if (scanner?.scan(frame)) {
      const instrument = this.bySymbol.get(scanner.symbol);
      if (!instrument) return { events: [] };
      return {
        events: [
          this.tradeEvent(
            instrument,
            scanner.id,
            scanner.idText,
            scanner.price,
            scanner.quantity,
            scanner.buyerMaker,
            scanner.time,
            receivedAt,
          ),
        ],
      };
    }
    const message = JSON.parse(frame) as Record<string, unknown>;
    const data = message.data as Record<string, unknown> | undefined;
    if (data === undefined) {
      if ("result" in message && "id" in message) return { events: [], control: { type: "subscribed" } };
      if (typeof message.code === "number")
        return {
          events: [],
          control: { type: "refused", message: `${String(message.msg)} (code ${message.code})` },
        };
      if (message.e === "serverShutdown")
        return { events: [], control: { type: "shutdown", message: "serverShutdown" } };
      return { events: [] };
    }
    const event = this.event(data, receivedAt);
    if (event) return { events: [event] };
    if (data.e === "serverShutdown")
      return { events: [], control: { type: "shutdown", message: "serverShutdown" } };
    return { events: [] };
  }

  private event(data: Record<string, unknown>, receivedAt: number): MarketEvent | undefined {
    const instrument = this.bySymbol.get(String(data.s));
    if (!instrument) return undefined;
    const symbol = instrument.symbol;
    switch (data.e) {
      case "trade":
      case "aggTrade":
        return this.tradeEvent(
          instrument,
          (data.e === "trade" ? data.t : data.a) as number,
          undefined,
          data.p as string,
          data.q as string,
          data.m,
          data.T as number,
          receivedAt,
        );
      case "kline": {
        const k = data.k as Record<string, unknown>;
        const interval = k.i as string;
        return {
          type: "candle",
          stream: streamKey({ channel: "candles", symbol, interval }),
          openTime: k.t as number,
          closed: k.x === true,
          record: this.factory.candle(
            instrument,
            interval,
            k.t as number,
            {
              open: k.o as string,
              high: k.h as string,
              low: k.l as string,
              close: k.c as string,
              volume: k.v as string,
            },
            k.x === true,
          ),
        };
      }
      case undefined:
        // bookTicker has no event type: u (update id), s, b/B, a/A, and no time.
        if (typeof data.b === "string" && typeof data.a === "string")
          return {
            type: "quote",
            stream: streamKey({ channel: "quotes", symbol }),
            record: this.factory.quote(
              instrument,
              { price: data.b, size: (data.B as string) ?? null },
              { price: data.a, size: (data.A as string) ?? null },
              receivedAt,
              receivedAt,
            ),
          };
        return undefined;
      default:
        return undefined;
    }
  }

  /** A trade or aggTrade event, from a scanned frame or a parsed one alike. */
  private tradeEvent(
    instrument: Instrument,
    id: number,
    /** The id's digits as the frame has them, when they are what String(id) prints. */
    idText: string | undefined,
    price: string,
    quantity: string,
    buyerMaker: unknown,
    time: number,
    receivedAt: number,
  ): TradeEvent {
    return {
      type: "trade",
      stream: this.tradeStreamKey(instrument),
      sequence: id,
      time,
      record: this.factory.trade(
        instrument,
        idText ?? String(id),
        price,
        quantity,
        // m: the buyer is the maker, so the taker sold.
        buyerMaker ? "sell" : "buy",
        time,
        receivedAt,
      ),
    };
  }

  async tradesAfter(rest: RestClient, instrument: Instrument, after: TradeWatermark): Promise<TradePage> {
    const fromId = (after.sequence ?? Number(after.id)) + 1;
    const received = this.clock.now();
    if (this.tradeStream === "aggTrade") {
      const rows = await rest.get<{ a: number; p: string; q: string; T: number; m: boolean }[]>(
        "/api/v3/aggTrades",
        { symbol: instrument.symbol, fromId, limit: PAGE },
        4,
      );
      const trades = rows.map((row) => ({
        sequence: row.a,
        record: this.factory.trade(
          instrument,
          String(row.a),
          row.p,
          row.q,
          row.m ? "sell" : "buy",
          row.T,
          received,
        ),
      }));
      return pageOf(trades);
    }
    const rows = await rest.get<
      { id: number; price: string; qty: string; time: number; isBuyerMaker: boolean }[]
    >("/api/v3/historicalTrades", { symbol: instrument.symbol, fromId, limit: PAGE }, 25);
    const trades = rows.map((row) => ({
      sequence: row.id,
      record: this.factory.trade(
        instrument,
        String(row.id),
        row.price,
        row.qty,
        row.isBuyerMaker ? "sell" : "buy",
        row.time,
        received,
      ),
    }));
    return pageOf(trades);
  }

  async candles(
    rest: RestClient,
    instrument: Instrument,
    interval: string,
    from: number,
    to: number,
  ): Promise<CryptoOHLCV[]> {
    const candles: CryptoOHLCV[] = [];
    for (let start = from; start <= to; ) {
      const rows = await rest.get<[number, string, string, string, string, string, number][]>(
        "/api/v3/klines",
        { symbol: instrument.symbol, interval, startTime: start, endTime: to, limit: PAGE },
        2,
      );
      // The last row may be the bucket still open: not final yet.
      for (const [openTime, open, high, low, close, volume, closeTime] of rows)
        if (closeTime < this.clock.now())
          candles.push(
            this.factory.candle(instrument, interval, openTime, { open, high, low, close, volume }, true),
          );
      if (rows.length < PAGE) break;
      start = (rows.at(-1)?.[0] ?? to) + 1;
    }
    return candles;
  }

  async prices(rest: RestClient, instruments: readonly Instrument[]): Promise<CryptoPrice[]> {
    const prices: CryptoPrice[] = [];
    for (const instrument of instruments) {
      const ticker = await rest.get<{ symbol: string; price: string }>(
        "/api/v3/ticker/price",
        { symbol: instrument.symbol },
        2,
      );
      prices.push(priceRecord(instrument, ticker.price, this.clock.now(), "binance", "Data from Binance"));
    }
    return prices;
  }
}

function pageOf(trades: TradePage["trades"]): TradePage {
  const last = trades.at(-1);
  if (trades.length < PAGE || !last) return { trades };
  return { trades, next: { afterSequence: last.sequence, afterTime: Date.parse(last.record.timestamp) } };
}

/** A price record in canonical form from an exchange's ticker. */
export function priceRecord(
  instrument: Instrument,
  price: string,
  timeMs: number,
  exchangeId: string,
  attribution: string,
): CryptoPrice {
  return {
    ...(instrument.coinId !== undefined ? { coinId: instrument.coinId } : {}),
    symbol: instrument.base,
    exchangeId,
    instrument: instrument.symbol,
    quote: instrument.quote,
    assetClass: "crypto",
    usdPrice: price,
    lastUpdated: new Date(timeMs).toISOString(),
    source: exchangeId,
    attribution,
  };
}
