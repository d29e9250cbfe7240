import type { Dialect, DialectConnection, DialectContext, RestAnswer, StandInMarket } from "./dialect";
import { notFound } from "./dialect";
import type { MarketCandle, MarketTrade } from "./market";

const INTERVALS: Record<string, number> = {
  "1m": 60_000,
  "3m": 180_000,
  "5m": 300_000,
  "15m": 900_000,
  "30m": 1_800_000,
  "1h": 3_600_000,
  "4h": 14_400_000,
  "1d": 86_400_000,
};
const intervalName = (ms: number) => Object.keys(INTERVALS).find((name) => INTERVALS[name] === ms) ?? "1m";

/**
 * Binance spot as its documentation shows it (binance-spot-api-docs, web-socket-streams.md
 * and rest-api.md): combined-stream envelopes {"stream","data"}, the trade, aggTrade, kline
 * and bookTicker payloads of the documented examples, SUBSCRIBE answered {"result":null,"id"}
 * or an error {"code","msg"}, and the REST endpoints with their documented weights.
 */
export function binanceDialect(tradeStream: "trade" | "aggTrade" = "trade"): Dialect {
  const streamName = (market: StandInMarket, suffix: string) => `${market.symbol.toLowerCase()}@${suffix}`;
  const wrap = (stream: string, data: unknown) => JSON.stringify({ stream, data });
  const tradePayload = (market: StandInMarket, trade: MarketTrade) =>
    tradeStream === "trade"
      ? {
          e: "trade",
          E: trade.timeMs,
          s: market.symbol,
          t: trade.id,
          p: trade.price,
          q: trade.amount,
          T: trade.timeMs,
          m: trade.side === "sell",
          M: true,
        }
      : {
          e: "aggTrade",
          E: trade.timeMs,
          s: market.symbol,
          a: trade.id,
          p: trade.price,
          q: trade.amount,
          f: trade.id,
          l: trade.id,
          T: trade.timeMs,
          m: trade.side === "sell",
          M: true,
        };

  return {
    name: "binance",
    onMessage(message, connection: DialectConnection, context: DialectContext) {
      if (message.method !== "SUBSCRIBE") return;
      if (context.refuseSubscriptions) {
        connection.send(JSON.stringify({ code: 2, msg: "Invalid request: unknown stream", id: message.id }));
        return;
      }
      for (const name of (message.params as string[]) ?? []) {
        const [symbol = "", suffix = ""] = name.split("@");
        const market = context.markets.find((candidate) => candidate.symbol.toLowerCase() === symbol);
        if (!market) continue;
        if (suffix === "trade" || suffix === "aggTrade")
          connection.subscriptions.push({ channel: "trades", symbol: market.symbol });
        else if (suffix === "bookTicker")
          connection.subscriptions.push({ channel: "quotes", symbol: market.symbol });
        else if (suffix.startsWith("kline_"))
          connection.subscriptions.push({
            channel: "candles",
            symbol: market.symbol,
            intervalMs: INTERVALS[suffix.slice(6)] ?? 60_000,
          });
      }
      connection.send(JSON.stringify({ result: null, id: message.id }));
    },
    trade: (_connection, market, trade) => wrap(streamName(market, tradeStream), tradePayload(market, trade)),
    quote: (_connection, market, trade) =>
      wrap(streamName(market, "bookTicker"), {
        u: trade.id,
        s: market.symbol,
        b: cents(trade.priceCents - 1),
        B: "31.21000000",
        a: cents(trade.priceCents + 1),
        A: "40.66000000",
      }),
    candle(_connection, market, intervalMs, candle: MarketCandle, closed) {
      const interval = intervalName(intervalMs);
      return wrap(streamName(market, `kline_${interval}`), {
        e: "kline",
        E: candle.openTime,
        s: market.symbol,
        k: {
          t: candle.openTime,
          T: candle.openTime + intervalMs - 1,
          s: market.symbol,
          i: interval,
          o: candle.open,
          c: candle.close,
          h: candle.high,
          l: candle.low,
          v: candle.volume,
          n: candle.trades,
          x: closed,
          q: "0",
          V: "0",
          Q: "0",
          B: "0",
        },
      });
    },
    rest(path, query, context): RestAnswer {
      const weights: Record<string, number> = {
        "/api/v3/exchangeInfo": 20,
        "/api/v3/historicalTrades": 25,
        "/api/v3/aggTrades": 4,
        "/api/v3/klines": 2,
        "/api/v3/ticker/price": 2,
      };
      const weight = weights[path];
      if (weight === undefined) return notFound(path);
      if (!context.spend(weight))
        return {
          status: 429,
          body: { code: -1003, msg: "Too much request weight used" },
          headers: { "retry-after": "1" },
        };
      if (path === "/api/v3/exchangeInfo") {
        const wanted = JSON.parse(query.get("symbols") ?? "[]") as string[];
        const symbols = context.markets.filter(
          (market) => wanted.length === 0 || wanted.includes(market.symbol),
        );
        if (symbols.length < wanted.length)
          return { status: 400, body: { code: -1121, msg: "Invalid symbol." } };
        return {
          status: 200,
          body: {
            timezone: "UTC",
            symbols: symbols.map((market) => ({
              symbol: market.symbol,
              status: "TRADING",
              baseAsset: market.base,
              quoteAsset: market.quote,
            })),
          },
        };
      }
      const market = context.market(query.get("symbol") ?? "");
      if (!market) return { status: 400, body: { code: -1121, msg: "Invalid symbol." } };
      const position = context.position(market.symbol);
      const limit = Math.min(Number(query.get("limit") ?? 500), 1000);
      if (path === "/api/v3/historicalTrades" || path === "/api/v3/aggTrades") {
        const from = Number(query.get("fromId") ?? Math.max(1, position - limit + 1));
        const rows = [];
        for (let id = Math.max(1, from); id <= position && rows.length < limit; id++) {
          const trade = market.series.trade(id);
          rows.push(
            path === "/api/v3/aggTrades"
              ? {
                  a: id,
                  p: trade.price,
                  q: trade.amount,
                  f: id,
                  l: id,
                  T: trade.timeMs,
                  m: trade.side === "sell",
                  M: true,
                }
              : {
                  id,
                  price: trade.price,
                  qty: trade.amount,
                  quoteQty: "0",
                  time: trade.timeMs,
                  isBuyerMaker: trade.side === "sell",
                  isBestMatch: true,
                },
          );
        }
        return { status: 200, body: rows };
      }
      if (path === "/api/v3/klines") {
        const intervalMs = INTERVALS[query.get("interval") ?? ""] ?? 60_000;
        const series = market.series;
        const lastTime = series.trade(Math.max(position, 1)).timeMs;
        const start = series.bucketOf(Number(query.get("startTime") ?? series.startMs), intervalMs);
        const end = Number(query.get("endTime") ?? lastTime);
        const rows = [];
        for (let open = start; open <= end && rows.length < limit; open += intervalMs) {
          if (!series.closed(open, intervalMs, position)) break;
          const candle = series.candle(open, intervalMs, position);
          if (!candle) continue;
          rows.push([
            open,
            candle.open,
            candle.high,
            candle.low,
            candle.close,
            candle.volume,
            open + intervalMs - 1,
            "0",
            candle.trades,
            "0",
            "0",
            "0",
          ]);
        }
        return { status: 200, body: rows };
      }
      const last = market.series.trade(Math.max(position, 1));
      return { status: 200, body: { symbol: market.symbol, price: last.price } };
    },
  };
}

function cents(value: number): string {
  return `${Math.floor(value / 100)}.${String(value % 100).padStart(2, "0")}`;
}
