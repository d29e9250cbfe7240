import type { CryptoOHLCV, CryptoPrice } from "@qicore/core/adapter";
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

/**
 * Kraken v2 sends prices and amounts as JSON numbers; JSON.parse would turn
 * `0.000012345678` or `12345678.12345678` into doubles and print them back changed. Their
 * text is quoted before parsing, so the record keeps the digits Kraken sent.
 */
const NUMBER_FIELDS =
  /"(price|qty|bid|bid_qty|ask|ask_qty|open|high|low|close|volume|vwap|last)"\s*:\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;

const MINUTES_TO_TIMEFRAME: Record<number, string> = {
  1: "1m",
  5: "5m",
  15: "15m",
  30: "30m",
  60: "1h",
  240: "4h",
  1440: "1d",
  10080: "1w",
  21600: "15d",
};
const TIMEFRAME_TO_MINUTES = Object.fromEntries(
  Object.entries(MINUTES_TO_TIMEFRAME).map(([minutes, timeframe]) => [timeframe, Number(minutes)]),
);
const CHANNEL = { trades: "trade", quotes: "ticker", candles: "ohlc" } as const;
const TRADE_PAGE = 1000;

/** Kraken's REST names bitcoin XBT and dogecoin XDG (its v2 WebSocket says BTC and DOGE). */
export function krakenRestPair(instrument: Instrument): string {
  const rename = (code: string) => (code === "BTC" ? "XBT" : code === "DOGE" ? "XDG" : code);
  return `${rename(instrument.base)}${rename(instrument.quote)}`;
}

type RestResult<T> = { error: string[]; result: Record<string, T> & { last?: string | number } };

function firstPair<T>(body: RestResult<T>, url: string): T {
  if (body.error.length > 0) throw configError(`Kraken ${url}: ${body.error.join(", ")}`);
  const key = Object.keys(body.result).find((name) => name !== "last");
  if (!key) return [] as unknown as T;
  return body.result[key] as T;
}

// Kraken WebSocket v2 (docs.kraken.com): symbols as BTC/USD; subscribe acknowledgements
// per symbol with success true or false; a heartbeat channel once a second without other
// updates; application pings ({"method":"ping"}); trade ids count up by one per book;
// candles (ohlc) have no closed flag: a bucket is final when the next one starts.
// Public REST allows about one call a second.
export class KrakenProtocol implements ExchangeProtocol {
  readonly name = "kraken" as const;
  readonly defaults = {
    websocketUrl: "wss://ws.kraken.com/v2",
    restUrl: "https://api.kraken.com",
    staleAfterMs: 15_000,
    pingEveryMs: 5_000,
    messagesPerSecond: 4,
    restWeightPerMinute: 40,
  };
  readonly consecutiveTradeIds = true;
  private bySymbol = new Map<string, Instrument>();
  private requestId = 0;

  constructor(
    private readonly factory: RecordFactory,
    private readonly clock: Clock,
  ) {}

  async instruments(_rest: RestClient, symbols: readonly string[]): Promise<Omit<Instrument, "coinId">[]> {
    return symbols.map((symbol) => {
      const parts = splitSymbol(symbol, "/");
      if (!parts) throw configError(`Kraken v2 symbols look like BTC/USD, not ${symbol}`, { symbol });
      return { symbol: `${parts.base}/${parts.quote}`, ...parts };
    });
  }

  use(instruments: readonly Instrument[]): void {
    this.bySymbol = new Map(instruments.map((instrument) => [instrument.symbol, instrument]));
  }

  plan(subscriptions: readonly Subscription[], websocketUrl: string): ConnectionPlan[] {
    const groups = new Map<string, { channel: string; interval?: number; symbols: Set<string> }>();
    for (const subscription of subscriptions) {
      const channel = CHANNEL[subscription.channel];
      const interval = subscription.interval ? TIMEFRAME_TO_MINUTES[subscription.interval] : undefined;
      if (subscription.interval && interval === undefined)
        throw configError(
          `Kraken has no ${subscription.interval} candles (1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w, 15d)`,
        );
      const key = `${channel}:${interval ?? ""}`;
      const group = groups.get(key) ?? { channel, ...(interval ? { interval } : {}), symbols: new Set() };
      group.symbols.add(subscription.instrument.symbol);
      groups.set(key, group);
    }
    const messages = [...groups.values()].map((group) =>
      JSON.stringify({
        method: "subscribe",
        params: {
          channel: group.channel,
          symbol: [...group.symbols],
          ...(group.interval ? { interval: group.interval, snapshot: false } : {}),
          ...(group.channel === "ticker" ? { event_trigger: "bbo", snapshot: false } : {}),
        },
        req_id: ++this.requestId,
      }),
    );
    return [{ url: websocketUrl, subscriptions: [...subscriptions], messages }];
  }

  keepAlive(): string {
    return JSON.stringify({ method: "ping", req_id: ++this.requestId });
  }

  decode(frame: string, receivedAt: number): DecodedFrame {
    const message = JSON.parse(frame.replace(NUMBER_FIELDS, '"$1":"$2"')) as {
      method?: string;
      success?: boolean;
      error?: string;
      channel?: string;
      data?: Record<string, unknown>[];
    };
    if (message.method === "subscribe")
      return message.success === false
        ? { events: [], control: { type: "refused", message: message.error ?? "subscription refused" } }
        : { events: [], control: { type: "subscribed" } };
    if (message.method === "pong") return { events: [], control: { type: "pong" } };
    if (message.channel === "heartbeat") return { events: [], control: { type: "heartbeat" } };
    const events: MarketEvent[] = [];
    for (const item of message.data ?? []) {
      const instrument = this.bySymbol.get(String(item.symbol));
      if (!instrument) continue;
      const event = this.event(message.channel, instrument, item, receivedAt);
      if (event) events.push(event);
    }
    return { events };
  }

  private event(
    channel: string | undefined,
    instrument: Instrument,
    item: Record<string, unknown>,
    receivedAt: number,
  ): MarketEvent | undefined {
    const symbol = instrument.symbol;
    if (channel === "trade") {
      const id = Number(item.trade_id);
      return {
        type: "trade",
        stream: streamKey({ channel: "trades", symbol }),
        sequence: id,
        time: parseTime(item.timestamp as string),
        record: this.factory.trade(
          instrument,
          String(id),
          item.price as string,
          item.qty as string,
          item.side === "buy" || item.side === "sell" ? item.side : null,
          parseTime(item.timestamp as string),
          receivedAt,
        ),
      };
    }
    if (channel === "ohlc") {
      const timeframe = MINUTES_TO_TIMEFRAME[Number(item.interval)];
      if (!timeframe) return undefined;
      const openTime = parseTime(item.interval_begin as string);
      return {
        type: "candle",
        stream: streamKey({ channel: "candles", symbol, interval: timeframe }),
        openTime,
        record: this.factory.candle(
          instrument,
          timeframe,
          openTime,
          {
            open: item.open as string,
            high: item.high as string,
            low: item.low as string,
            close: item.close as string,
            volume: (item.volume as string) ?? null,
          },
          false,
        ),
      };
    }
    if (channel === "ticker" && typeof item.bid === "string" && typeof item.ask === "string") {
      const time = typeof item.timestamp === "string" ? parseTime(item.timestamp) : receivedAt;
      return {
        type: "quote",
        stream: streamKey({ channel: "quotes", symbol }),
        record: this.factory.quote(
          instrument,
          { price: item.bid, size: (item.bid_qty as string) ?? null },
          { price: item.ask, size: (item.ask_qty as string) ?? null },
          time,
          receivedAt,
        ),
      };
    }
    return undefined;
  }

  async tradesAfter(rest: RestClient, instrument: Instrument, after: TradeWatermark): Promise<TradePage> {
    const received = this.clock.now();
    const url = "/0/public/Trades";
    const body = await rest.get<RestResult<[string, string, number, string, string, string, number][]>>(url, {
      pair: krakenRestPair(instrument),
      // `since` is a time in nanoseconds; trades at the watermark's millisecond come again and are dropped.
      since: `${after.time}000000`,
      count: TRADE_PAGE,
    });
    const rows = firstPair(body, url);
    const afterSequence = after.sequence ?? Number(after.id);
    const trades = rows
      .filter((row) => row[6] > afterSequence)
      .map(([price, volume, time, side, , , id]) => ({
        sequence: id,
        record: this.factory.trade(
          instrument,
          String(id),
          price,
          volume,
          side === "b" ? "buy" : side === "s" ? "sell" : null,
          // Seconds as a float: 1e-3 covers its rounding error, so the millisecond is the one the WebSocket shows.
          Math.floor(time * 1000 + 0.001),
          received,
        ),
      }));
    const last = trades.at(-1);
    return rows.length < TRADE_PAGE || !last
      ? { trades }
      : { trades, next: { afterSequence: last.sequence, afterTime: Date.parse(last.record.timestamp) } };
  }

  async candles(
    rest: RestClient,
    instrument: Instrument,
    interval: string,
    from: number,
    to: number,
  ): Promise<CryptoOHLCV[]> {
    const minutes = TIMEFRAME_TO_MINUTES[interval];
    if (!minutes) throw configError(`Kraken has no ${interval} candles`);
    const url = "/0/public/OHLC";
    // Kraken keeps the last 720 candles of a width; a gap further back than that stays open.
    const body = await rest.get<
      RestResult<[number, string, string, string, string, string, string, number][]>
    >(url, {
      pair: krakenRestPair(instrument),
      interval: minutes,
      since: Math.floor(from / 1000) - 1,
    });
    return (
      firstPair(body, url)
        // Kraken's last row is the bucket still open ("not committed"): not final yet.
        .filter(
          ([time]) =>
            time * 1000 >= from && time * 1000 <= to && time * 1000 + minutes * 60_000 <= this.clock.now(),
        )
        .map(([time, open, high, low, close, , volume]) =>
          this.factory.candle(instrument, interval, time * 1000, { open, high, low, close, volume }, true),
        )
    );
  }

  async prices(rest: RestClient, instruments: readonly Instrument[]): Promise<CryptoPrice[]> {
    const prices: CryptoPrice[] = [];
    for (const instrument of instruments) {
      const url = "/0/public/Ticker";
      const body = await rest.get<RestResult<{ c: [string, string] }>>(url, {
        pair: krakenRestPair(instrument),
      });
      prices.push(
        priceRecord(instrument, firstPair(body, url).c[0], this.clock.now(), "kraken", "Data from Kraken"),
      );
    }
    return prices;
  }
}
