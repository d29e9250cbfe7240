import type { CryptoOHLCV, CryptoPrice, CryptoTrade } from "@qicore/core/adapter";
import type { Clock } from "../clock";
import { configError } from "../errors";
import { type Instrument, splitSymbol } from "../instruments";
import type { RecordFactory } from "../records";
import type { RestClient } from "../rest-client";
import { parseTime } from "../time";
import { priceRecord } from "./binance";
import {
  type ConnectionPlan,
  type DecodedFrame,
  type ExchangeProtocol,
  type MarketEvent,
  type Subscription,
  streamKey,
  type TradePage,
  type TradeWatermark,
} from "./protocol";

const CHANNEL = { trades: "market_trades", quotes: "ticker", candles: "candles" } as const;
const TRADE_PAGE = 1000;
const CANDLE_PAGE = 300;

interface CoinbaseTrade {
  trade_id: string;
  product_id: string;
  price: string;
  size: string;
  side: string;
  time: string;
}

// Coinbase Advanced Trade (docs.cdp.coinbase.com): one subscribe message per channel,
// the heartbeats channel keeps quiet subscriptions open (most close after 60-90 s without
// updates) and counts its messages (heartbeat_counter); every message carries a
// per-connection sequence_num; candles come in five-minute buckets; public REST takes
// 10 requests a second per IP.
export class CoinbaseProtocol implements ExchangeProtocol {
  readonly name = "coinbase" as const;
  readonly defaults = {
    websocketUrl: "wss://advanced-trade-ws.coinbase.com",
    restUrl: "https://api.coinbase.com",
    staleAfterMs: 10_000,
    messagesPerSecond: 4,
    restWeightPerMinute: 300,
  };
  readonly consecutiveTradeIds = false;
  private bySymbol = new Map<string, Instrument>();

  constructor(
    private readonly factory: RecordFactory,
    private readonly clock: Clock,
  ) {}

  async instruments(_rest: RestClient, symbols: readonly string[]): Promise<Omit<Instrument, "coinId">[]> {
    return symbols.map((symbol) => {
      const parts = splitSymbol(symbol, "-");
      if (!parts) throw configError(`Coinbase product ids look like BTC-USD, not ${symbol}`, { symbol });
      return { symbol: symbol.toUpperCase(), ...parts };
    });
  }

  use(instruments: readonly Instrument[]): void {
    this.bySymbol = new Map(instruments.map((instrument) => [instrument.symbol, instrument]));
  }

  plan(subscriptions: readonly Subscription[], websocketUrl: string): ConnectionPlan[] {
    const products = new Map<string, Set<string>>();
    for (const subscription of subscriptions) {
      const channel = CHANNEL[subscription.channel];
      const set = products.get(channel) ?? new Set();
      set.add(subscription.instrument.symbol);
      products.set(channel, set);
    }
    const messages = [JSON.stringify({ type: "subscribe", channel: "heartbeats" })];
    for (const [channel, ids] of products)
      messages.push(JSON.stringify({ type: "subscribe", product_ids: [...ids], channel }));
    return [{ url: websocketUrl, subscriptions: [...subscriptions], messages }];
  }

  keepAlive(): undefined {
    return undefined;
  }

  decode(frame: string, receivedAt: number): DecodedFrame {
    const message = JSON.parse(frame) as {
      type?: string;
      message?: string;
      channel?: string;
      timestamp?: string;
      sequence_num?: number;
      events?: Record<string, unknown>[];
    };
    if (message.type === "error")
      return { events: [], control: { type: "refused", message: message.message ?? "error" } };
    const sequence = typeof message.sequence_num === "number" ? message.sequence_num : undefined;
    const events: MarketEvent[] = [];
    switch (message.channel) {
      case "subscriptions":
        return { events, control: { type: "subscribed" }, ...(sequence !== undefined ? { sequence } : {}) };
      case "heartbeats": {
        const counter = Number(message.events?.[0]?.heartbeat_counter);
        return {
          events,
          control: { type: "heartbeat", ...(Number.isFinite(counter) ? { counter } : {}) },
          ...(sequence !== undefined ? { sequence } : {}),
        };
      }
      case "market_trades":
        for (const event of message.events ?? [])
          for (const trade of (event.trades as CoinbaseTrade[] | undefined) ?? []) {
            const instrument = this.bySymbol.get(trade.product_id);
            if (instrument)
              events.push({
                type: "trade",
                stream: streamKey({ channel: "trades", symbol: instrument.symbol }),
                sequence: Number(trade.trade_id),
                time: parseTime(trade.time),
                record: this.tradeRecord(instrument, trade, receivedAt),
              });
          }
        break;
      case "ticker": {
        const time = message.timestamp ? parseTime(message.timestamp) : receivedAt;
        for (const event of message.events ?? [])
          for (const ticker of (event.tickers as Record<string, string>[] | undefined) ?? []) {
            const instrument = this.bySymbol.get(String(ticker.product_id));
            if (!instrument || ticker.best_bid === undefined || ticker.best_ask === undefined) continue;
            events.push({
              type: "quote",
              stream: streamKey({ channel: "quotes", symbol: instrument.symbol }),
              record: this.factory.quote(
                instrument,
                { price: ticker.best_bid, size: ticker.best_bid_quantity ?? null },
                { price: ticker.best_ask, size: ticker.best_ask_quantity ?? null },
                time,
                receivedAt,
              ),
            });
          }
        break;
      }
      case "candles":
        for (const event of message.events ?? [])
          for (const candle of (event.candles as Record<string, string>[] | undefined) ?? []) {
            const instrument = this.bySymbol.get(String(candle.product_id));
            if (!instrument) continue;
            const openTime = Number(candle.start) * 1000;
            events.push({
              type: "candle",
              stream: streamKey({ channel: "candles", symbol: instrument.symbol, interval: "5m" }),
              openTime,
              record: this.factory.candle(instrument, "5m", openTime, candleValues(candle), false),
            });
          }
        break;
    }
    return { events, ...(sequence !== undefined ? { sequence } : {}) };
  }

  private tradeRecord(instrument: Instrument, trade: CoinbaseTrade, receivedAt: number): CryptoTrade {
    // market_trades reports the maker's side, as Coinbase's matches always have (the
    // maker sold: the taker bought); the record keeps the taker's.
    const side = trade.side === "SELL" ? "buy" : trade.side === "BUY" ? "sell" : null;
    return this.factory.trade(
      instrument,
      trade.trade_id,
      trade.price,
      trade.size,
      side,
      parseTime(trade.time),
      receivedAt,
    );
  }

  async tradesAfter(rest: RestClient, instrument: Instrument, after: TradeWatermark): Promise<TradePage> {
    const received = this.clock.now();
    const nowSeconds = Math.ceil(received / 1000);
    const start = Math.floor(after.time / 1000);
    // The endpoint answers the newest trades of [start, end] first: a full page means the
    // window holds more, so it is halved until it comes back whole.
    for (let end = nowSeconds; ; ) {
      const body = await rest.get<{ trades: CoinbaseTrade[] }>(
        `/api/v3/brokerage/market/products/${instrument.symbol}/ticker`,
        { limit: TRADE_PAGE, start, end },
      );
      if (body.trades.length >= TRADE_PAGE && end - start > 1) {
        end = start + Math.floor((end - start) / 2);
        continue;
      }
      const afterSequence = after.sequence ?? Number(after.id);
      const newer = body.trades
        .map((trade) => ({
          record: this.tradeRecord(instrument, trade, received),
          sequence: Number(trade.trade_id),
        }))
        .filter(({ record, sequence }) => {
          const time = Date.parse(record.timestamp);
          return time > after.time || (time === after.time && sequence > afterSequence);
        })
        .sort(
          (a, b) =>
            Date.parse(a.record.timestamp) - Date.parse(b.record.timestamp) || a.sequence - b.sequence,
        );
      if (end >= nowSeconds) return { trades: newer };
      const last = newer.at(-1);
      return {
        trades: newer,
        next: last
          ? { afterTime: Date.parse(last.record.timestamp), afterSequence: last.sequence }
          : { afterTime: end * 1000 },
      };
    }
  }

  async candles(
    rest: RestClient,
    instrument: Instrument,
    interval: string,
    from: number,
    to: number,
  ): Promise<CryptoOHLCV[]> {
    if (interval !== "5m") throw configError(`Coinbase streams 5m candles only, not ${interval}`);
    const step = 300_000;
    const candles: CryptoOHLCV[] = [];
    for (let start = from; start <= to; start += CANDLE_PAGE * step) {
      const end = Math.min(to, start + (CANDLE_PAGE - 1) * step);
      const body = await rest.get<{ candles: Record<string, string>[] }>(
        `/api/v3/brokerage/market/products/${instrument.symbol}/candles`,
        { start: Math.floor(start / 1000), end: Math.floor(end / 1000), granularity: "FIVE_MINUTE" },
      );
      const page = body.candles
        .map((candle) => ({ openTime: Number(candle.start) * 1000, candle }))
        // The newest row may be the bucket still open: not final yet.
        .filter(({ openTime }) => openTime >= start && openTime <= end && openTime + step <= this.clock.now())
        .sort((a, b) => a.openTime - b.openTime);
      for (const { openTime, candle } of page)
        candles.push(this.factory.candle(instrument, "5m", openTime, candleValues(candle), true));
    }
    return candles;
  }

  async prices(rest: RestClient, instruments: readonly Instrument[]): Promise<CryptoPrice[]> {
    const prices: CryptoPrice[] = [];
    for (const instrument of instruments) {
      const product = await rest.get<{ price: string }>(
        `/api/v3/brokerage/market/products/${instrument.symbol}`,
        {},
      );
      prices.push(priceRecord(instrument, product.price, this.clock.now(), "coinbase", "Data from Coinbase"));
    }
    return prices;
  }
}

function candleValues(candle: Record<string, string>) {
  return {
    open: String(candle.open),
    high: String(candle.high),
    low: String(candle.low),
    close: String(candle.close),
    volume: candle.volume === undefined ? null : String(candle.volume),
  };
}
