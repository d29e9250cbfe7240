import type { Dialect, RestAnswer, StandInMarket } from "./dialect";
import { notFound } from "./dialect";
import type { MarketTrade } from "./market";

const CHANNELS = { trade: "trades", ticker: "quotes", ohlc: "candles" } as const;
const iso = (ms: number) => new Date(ms).toISOString().replace("Z", "000Z");
const rfc = (ms: number) => new Date(ms).toISOString().replace("Z", "000000Z");

/**
 * Kraken WebSocket v2 and its REST API as their documentation shows them (docs.kraken.com):
 * {"method":"subscribe","params":{...}} answered per symbol with success true or false; trade,
 * ticker and ohlc updates shaped as the documented examples, prices and amounts as JSON
 * NUMBERS (written out as their exact decimal text here, as Kraken's own server does);
 * {"channel":"heartbeat"} every second; {"method":"ping"} answered with "pong". REST: Trades
 * (rows of [price, volume, time, b/s, m/l, misc, trade_id]) and OHLC under the XBT names.
 */
export function krakenDialect(): Dialect {
  const restKey = (market: StandInMarket) =>
    `X${market.base === "BTC" ? "XBT" : market.base}Z${market.quote}`;
  const findRest = (pair: string, markets: readonly StandInMarket[]) =>
    markets.find(
      (market) =>
        `${market.base === "BTC" ? "XBT" : market.base}${market.quote}` === pair ||
        market.symbol === pair ||
        restKey(market) === pair,
    );
  return {
    name: "kraken",
    onMessage(message, connection, context) {
      if (message.method === "ping") {
        connection.send(
          JSON.stringify({
            method: "pong",
            req_id: message.req_id,
            time_in: iso(Date.now()),
            time_out: iso(Date.now()),
          }),
        );
        return;
      }
      if (message.method !== "subscribe") return;
      const params = (message.params ?? {}) as { channel?: string; symbol?: string[]; interval?: number };
      const kind = CHANNELS[params.channel as keyof typeof CHANNELS];
      for (const symbol of params.symbol ?? []) {
        if (context.refuseSubscriptions || !kind || !context.market(symbol)) {
          connection.send(
            JSON.stringify({
              error: `Currency pair not supported ${symbol}`,
              method: "subscribe",
              req_id: message.req_id,
              success: false,
              symbol,
            }),
          );
          continue;
        }
        connection.subscriptions.push({
          channel: kind,
          symbol,
          ...(kind === "candles" ? { intervalMs: (params.interval ?? 1) * 60_000 } : {}),
        });
        connection.send(
          JSON.stringify({
            method: "subscribe",
            req_id: message.req_id,
            result: { channel: params.channel, symbol },
            success: true,
          }),
        );
      }
    },
    trade: (_connection, market, trade: MarketTrade) =>
      `{"channel":"trade","type":"update","data":[{"symbol":"${market.symbol}","side":"${trade.side}","price":${trade.price},"qty":${trade.amount},"ord_type":"market","trade_id":${trade.id},"timestamp":"${rfc(trade.timeMs)}"}]}`,
    quote: (_connection, market, trade) =>
      `{"channel":"ticker","type":"update","data":[{"symbol":"${market.symbol}","bid":${cents(trade.priceCents - 1)},"bid_qty":740.00000001,"ask":${cents(trade.priceCents + 1)},"ask_qty":1361.44813783,"last":${trade.price},"volume":997038.98383185,"vwap":${trade.price},"low":${trade.price},"high":${trade.price},"change":0,"change_pct":0,"timestamp":"${rfc(trade.timeMs)}"}]}`,
    candle: (_connection, market, intervalMs, candle) =>
      `{"channel":"ohlc","type":"update","timestamp":"${rfc(candle.openTime)}","data":[{"symbol":"${market.symbol}","open":${candle.open},"high":${candle.high},"low":${candle.low},"close":${candle.close},"trades":${candle.trades},"volume":${candle.volume},"vwap":${candle.close},"interval_begin":"${rfc(candle.openTime)}","interval":${intervalMs / 60_000},"timestamp":"${rfc(candle.openTime + intervalMs)}"}]}`,
    heartbeat: () => '{"channel":"heartbeat"}',
    rest(path, query, context): RestAnswer {
      if (path !== "/0/public/Trades" && path !== "/0/public/OHLC" && path !== "/0/public/Ticker")
        return notFound(path);
      const market = findRest(query.get("pair") ?? "", context.markets);
      if (!market) return { status: 200, body: { error: ["EQuery:Unknown asset pair"] } };
      if (!context.spend(1)) return { status: 200, body: { error: ["EGeneral:Too many requests"] } };
      const position = context.position(market.symbol);
      const series = market.series;
      const key = restKey(market);
      if (path === "/0/public/Trades") {
        const sinceMs = Number(BigInt(query.get("since") ?? "0") / 1_000_000n);
        const count = Math.min(Number(query.get("count") ?? 1000), 1000);
        const rows = [];
        let lastNs = "0";
        for (
          let id = Math.max(1, series.tradeIdsBetween(sinceMs, sinceMs + 1).first);
          id <= position && rows.length < count;
          id++
        ) {
          const trade = series.trade(id);
          rows.push([
            trade.price,
            trade.amount,
            trade.timeMs / 1000,
            trade.side === "buy" ? "b" : "s",
            "m",
            "",
            id,
          ]);
          lastNs = `${trade.timeMs}000000`;
        }
        return { status: 200, body: { error: [], result: { [key]: rows, last: lastNs } } };
      }
      if (path === "/0/public/OHLC") {
        const intervalMs = Number(query.get("interval") ?? 1) * 60_000;
        const since = Number(query.get("since") ?? 0) * 1000;
        const start = series.bucketOf(Math.max(since + 1, series.startMs), intervalMs);
        const rows = [];
        for (let open = start; rows.length < 720; open += intervalMs) {
          if (!series.closed(open, intervalMs, position)) break;
          const candle = series.candle(open, intervalMs, position);
          if (candle)
            rows.push([
              open / 1000,
              candle.open,
              candle.high,
              candle.low,
              candle.close,
              candle.close,
              candle.volume,
              candle.trades,
            ]);
        }
        return { status: 200, body: { error: [], result: { [key]: rows, last: rows.at(-1)?.[0] ?? 0 } } };
      }
      const last = series.trade(Math.max(position, 1));
      return { status: 200, body: { error: [], result: { [key]: { c: [last.price, last.amount] } } } };
    },
  };
}

function cents(value: number): string {
  return `${Math.floor(value / 100)}.${String(value % 100).padStart(2, "0")}`;
}
