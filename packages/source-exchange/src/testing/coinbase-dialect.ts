import type { Dialect, DialectConnection, RestAnswer } from "./dialect";
import { notFound } from "./dialect";
import type { MarketTrade } from "./market";

const CHANNELS = { market_trades: "trades", ticker: "quotes", candles: "candles" } as const;
const iso = (ms: number) => new Date(ms).toISOString().replace("Z", "000Z");

/**
 * Coinbase Advanced Trade as its documentation shows it (docs.cdp.coinbase.com, WebSocket
 * channels and the public market REST endpoints): envelopes {channel, timestamp,
 * sequence_num, events}; market_trades, ticker and candles events shaped as the documented
 * examples; heartbeats every second with a heartbeat_counter; subscriptions answered on the
 * `subscriptions` channel or with {"type":"error"}. The trade's `side` is the maker's, as
 * on Coinbase's matches.
 */
export function coinbaseDialect(): Dialect {
  const envelope = (connection: DialectConnection, channel: string, timestamp: number, events: unknown[]) =>
    JSON.stringify({
      channel,
      client_id: "",
      timestamp: iso(timestamp),
      sequence_num: connection.sent,
      events,
    });
  return {
    name: "coinbase",
    onMessage(message, connection, context) {
      if (message.type !== "subscribe") return;
      if (context.refuseSubscriptions) {
        connection.send(JSON.stringify({ type: "error", message: "Failed to subscribe: unknown product" }));
        return;
      }
      const channel = String(message.channel);
      if (channel === "heartbeats") return;
      const kind = CHANNELS[channel as keyof typeof CHANNELS];
      if (!kind) return;
      for (const symbol of (message.product_ids as string[]) ?? [])
        if (context.market(symbol))
          connection.subscriptions.push({
            channel: kind,
            symbol,
            ...(kind === "candles" ? { intervalMs: 300_000 } : {}),
          });
      connection.send(
        envelope(connection, "subscriptions", Date.now(), [
          { subscriptions: { [channel]: message.product_ids } },
        ]),
      );
    },
    trade: (connection, market, trade: MarketTrade) =>
      envelope(connection, "market_trades", trade.timeMs, [
        {
          type: "update",
          trades: [
            {
              trade_id: String(trade.id),
              product_id: market.symbol,
              price: trade.price,
              size: trade.amount,
              side: trade.side === "buy" ? "SELL" : "BUY",
              time: iso(trade.timeMs),
            },
          ],
        },
      ]),
    quote: (connection, market, trade) =>
      envelope(connection, "ticker", trade.timeMs, [
        {
          type: "update",
          tickers: [
            {
              type: "ticker",
              product_id: market.symbol,
              price: trade.price,
              best_bid: cents(trade.priceCents - 1),
              best_bid_quantity: "1.50000000",
              best_ask: cents(trade.priceCents + 1),
              best_ask_quantity: "0.50000000",
            },
          ],
        },
      ]),
    candle: (connection, market, _intervalMs, candle) =>
      envelope(connection, "candles", candle.openTime, [
        {
          type: "update",
          candles: [
            {
              start: String(candle.openTime / 1000),
              high: candle.high,
              low: candle.low,
              open: candle.open,
              close: candle.close,
              volume: candle.volume,
              product_id: market.symbol,
            },
          ],
        },
      ]),
    heartbeat: (connection) =>
      envelope(connection, "heartbeats", Date.now(), [
        { current_time: new Date().toISOString(), heartbeat_counter: ++connection.heartbeats },
      ]),
    rest(path, query, context): RestAnswer {
      const match = /^\/api\/v3\/brokerage\/market\/products\/([^/]+)(\/ticker|\/candles)?$/.exec(path);
      if (!match) return notFound(path);
      const market = context.market(decodeURIComponent(match[1] as string));
      if (!market) return { status: 404, body: { error: "NOT_FOUND", message: "product not found" } };
      if (!context.spend(1))
        return { status: 429, body: { error: "RATE_LIMITED" }, headers: { "retry-after": "1" } };
      const position = context.position(market.symbol);
      const series = market.series;
      if (match[2] === "/ticker") {
        const limit = Number(query.get("limit") ?? 100);
        const start = Number(query.get("start") ?? 0) * 1000;
        const end = Number(query.get("end") ?? Number.MAX_SAFE_INTEGER / 1000) * 1000;
        const { first, last } = series.tradeIdsBetween(start, end + 1);
        const trades = [];
        // Newest first, as the endpoint answers.
        for (let id = Math.min(last, position); id >= Math.max(first, 1) && trades.length < limit; id--) {
          const trade = series.trade(id);
          trades.push({
            trade_id: String(id),
            product_id: market.symbol,
            price: trade.price,
            size: trade.amount,
            time: iso(trade.timeMs),
            side: trade.side === "buy" ? "SELL" : "BUY",
          });
        }
        return { status: 200, body: { trades, best_bid: "0", best_ask: "0" } };
      }
      if (match[2] === "/candles") {
        const step = 300_000;
        const start = series.bucketOf(Number(query.get("start")) * 1000, step);
        const end = Number(query.get("end")) * 1000;
        const candles = [];
        for (let open = start; open <= end && candles.length < 350; open += step) {
          if (!series.closed(open, step, position)) break;
          const candle = series.candle(open, step, position);
          if (candle)
            candles.push({
              start: String(open / 1000),
              low: candle.low,
              high: candle.high,
              open: candle.open,
              close: candle.close,
              volume: candle.volume,
            });
        }
        return { status: 200, body: { candles: candles.reverse() } };
      }
      return {
        status: 200,
        body: { product_id: market.symbol, price: series.trade(Math.max(position, 1)).price },
      };
    },
  };
}

function cents(value: number): string {
  return `${Math.floor(value / 100)}.${String(value % 100).padStart(2, "0")}`;
}
