import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import { binanceDialect } from "./binance-dialect";
import { coinbaseDialect } from "./coinbase-dialect";
import type { Dialect, DialectConnection, DialectContext, StandInMarket } from "./dialect";
import { krakenDialect } from "./kraken-dialect";
import { MarketSeries } from "./market";

export type StandInExchange = "binance" | "coinbase" | "kraken";

/** A fault to inject; each says what a real exchange or network does to a client. */
export type StandInFault =
  /** Every connection is cut at once, without a close frame. */
  | { kind: "drop" }
  /** Nothing more is sent on the open connections (no data, heartbeats or pings), and they stay open. */
  | { kind: "silence" }
  /** The next `trades` trades are not sent on the WebSocket (REST has them): a missed sequence. */
  | { kind: "skip"; trades: number }
  /** Subscriptions are answered with the exchange's error from now on. */
  | { kind: "refuse-subscriptions" }
  /** One frame that is not JSON, or JSON cut off in the middle, goes out next. */
  | { kind: "malformed" }
  | { kind: "truncated" }
  /** Pings (WebSocket frames, Kraken's ping message) get no answer from now on. */
  | { kind: "ignore-pings" };

export interface StandInOptions {
  exchange: StandInExchange;
  /** Markets with the exchange's own symbols; default one BTC market in its spelling. */
  markets?: { symbol: string; base: string; quote: string }[];
  /** Trades per second per market; 0 plays nothing until `advance` is called. Default 200. */
  tradesPerSecond?: number;
  /** Market time of trade 0 and the market time between trades (default: two days ago, 1 s). */
  startMs?: number;
  spacingMs?: number;
  /** Binance: `trade` or `aggTrade` payloads. */
  binanceTrades?: "trade" | "aggTrade";
  /** The server closes each connection after this long (Binance's 24-hour close, scaled down). */
  maxConnectionAgeMs?: number;
  /** Incoming messages a connection may send per second before it is cut (Binance: 5). */
  messageLimitPerSecond?: number;
  /** REST weight a minute before 429 (Binance counts weights; others count requests). */
  restWeightPerMinute?: number;
}

export interface ExchangeStandIn {
  exchange: StandInExchange;
  /** WebSocket endpoint (give it as `websocketUrl`) and REST root (`restUrl`). */
  websocketUrl: string;
  restUrl: string;
  markets: readonly StandInMarket[];
  /** The last trade id that happened on a market. */
  position(symbol: string): number;
  /** Plays `trades` more trades on every market now. */
  advance(trades: number): void;
  /** Stops playing (the market stands still) or starts again. */
  pause(): void;
  resume(): void;
  inject(fault: StandInFault): void;
  /** Undoes refuse-subscriptions, silence and ignore-pings. */
  heal(): void;
  readonly stats: {
    connections: number;
    open: number;
    subscribeMessages: number;
    cutForMessageRate: number;
    closedForAge: number;
    restRequests: number;
    rateLimited: number;
  };
  /** Streams the open connections are subscribed to. */
  subscriptions(): number;
  close(): Promise<void>;
}

const DEFAULT_SYMBOL = { binance: "BTCUSDT", coinbase: "BTC-USD", kraken: "BTC/USD" } as const;

interface Client extends DialectConnection {
  socket: WebSocket;
  openedAt: number;
  received: number[];
}

/**
 * A local stand-in for an exchange: a WebSocket and an HTTP server on one port that play a
 * deterministic market in the exchange's documented message shapes, at a configurable
 * rate, with the exchange's limits (messages a second, connection age, REST weights) and
 * injectable faults. Live clients get the trades that happen while they are connected;
 * REST has every trade that happened, so a client that closes its gaps ends up with the
 * full series (`market.series.trade(1 .. position)`).
 */
export async function startExchangeStandIn(options: StandInOptions): Promise<ExchangeStandIn> {
  const dialect: Dialect =
    options.exchange === "binance"
      ? binanceDialect(options.binanceTrades)
      : options.exchange === "coinbase"
        ? coinbaseDialect()
        : krakenDialect();
  const startMs = options.startMs ?? Math.floor((Date.now() - 2 * 86_400_000) / 86_400_000) * 86_400_000;
  const spacingMs = options.spacingMs ?? 1_000;
  const markets: StandInMarket[] = (
    options.markets ?? [
      {
        symbol: DEFAULT_SYMBOL[options.exchange],
        base: "BTC",
        quote: options.exchange === "binance" ? "USDT" : "USD",
      },
    ]
  ).map((market, index) => ({
    ...market,
    series: new MarketSeries(startMs, spacingMs, 6_000_000 + index * 100_000),
  }));
  const positions = new Map(markets.map((market) => [market.symbol, 0]));
  const clients = new Set<Client>();
  const faults = {
    refuse: false,
    silent: false,
    skip: 0,
    broken: undefined as "malformed" | "truncated" | undefined,
    ignorePings: false,
  };
  const stats = {
    connections: 0,
    open: 0,
    subscribeMessages: 0,
    cutForMessageRate: 0,
    closedForAge: 0,
    restRequests: 0,
    rateLimited: 0,
  };
  const weightLimit = options.restWeightPerMinute ?? Number.POSITIVE_INFINITY;
  const weights: { at: number; weight: number }[] = [];

  const context: DialectContext = {
    markets,
    market: (symbol) => markets.find((market) => market.symbol === symbol),
    position: (symbol) => positions.get(symbol) ?? 0,
    get refuseSubscriptions() {
      return faults.refuse;
    },
    spend(weight) {
      const now = Date.now();
      while (weights.length > 0 && (weights[0] as { at: number }).at < now - 60_000) weights.shift();
      const used = weights.reduce((sum, entry) => sum + entry.weight, 0);
      if (used + weight > weightLimit) {
        stats.rateLimited++;
        return false;
      }
      weights.push({ at: now, weight });
      return true;
    },
  };

  const sendTo = (client: Client, text: string) => {
    if (faults.silent || client.socket.readyState !== WebSocket.OPEN) return;
    client.sent++;
    client.socket.send(text);
  };

  const playTrade = (market: StandInMarket, id: number) => {
    const trade = market.series.trade(id);
    const skipped = faults.skip > 0;
    if (skipped) faults.skip--;
    for (const client of clients) {
      if (faults.silent) continue;
      for (const subscription of client.subscriptions) {
        if (subscription.symbol !== market.symbol) continue;
        if (subscription.channel === "trades") {
          // A skipped trade counts as sent (Coinbase's sequence_num moves on) but never arrives.
          if (skipped) client.sent++;
          else if (faults.broken) {
            const text = dialect.trade(client, market, trade);
            sendTo(
              client,
              faults.broken === "malformed" ? `<html>${text}` : text.slice(0, Math.floor(text.length / 2)),
            );
            faults.broken = undefined;
          } else sendTo(client, dialect.trade(client, market, trade));
        } else if (skipped) continue;
        else if (subscription.channel === "quotes") sendTo(client, dialect.quote(client, market, trade));
        else if (subscription.intervalMs) {
          const intervalMs = subscription.intervalMs;
          const open = market.series.bucketOf(trade.timeMs, intervalMs);
          const previous = market.series.bucketOf(market.series.trade(id - 1).timeMs, intervalMs);
          if (id > 1 && previous !== open) {
            const closed = market.series.candle(previous, intervalMs, id - 1);
            const frame = closed && dialect.candle(client, market, intervalMs, closed, true);
            if (frame) sendTo(client, frame);
          }
          const candle = market.series.candle(open, intervalMs, id);
          const frame = candle && dialect.candle(client, market, intervalMs, candle, false);
          if (frame) sendTo(client, frame);
        }
      }
    }
  };

  const advance = (count: number) => {
    for (const market of markets) {
      const from = positions.get(market.symbol) ?? 0;
      for (let id = from + 1; id <= from + count; id++) {
        positions.set(market.symbol, id);
        playTrade(market, id);
      }
    }
  };

  const http = createServer((request: IncomingMessage, response: ServerResponse) => {
    stats.restRequests++;
    const url = new URL(request.url ?? "/", "http://stand-in");
    const answer = dialect.rest(url.pathname, url.searchParams, context);
    response.writeHead(answer.status, { "content-type": "application/json", ...(answer.headers ?? {}) });
    response.end(JSON.stringify(answer.body));
  });
  const sockets = new Set<Socket>();
  http.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const wss = new WebSocketServer({ server: http, autoPong: false });
  wss.on("connection", (socket) => {
    stats.connections++;
    stats.open++;
    const client: Client = {
      socket,
      subscriptions: [],
      sent: 0,
      heartbeats: 0,
      openedAt: Date.now(),
      received: [],
      send: (text) => sendTo(client, text),
    };
    clients.add(client);
    socket.on("ping", (data) => {
      if (!faults.ignorePings && !faults.silent) socket.pong(data);
    });
    socket.on("message", (data) => {
      const now = Date.now();
      client.received.push(now);
      while (client.received.length > 0 && (client.received[0] as number) < now - 1_000)
        client.received.shift();
      if (options.messageLimitPerSecond && client.received.length > options.messageLimitPerSecond) {
        stats.cutForMessageRate++;
        socket.terminate();
        return;
      }
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(data.toString()) as Record<string, unknown>;
      } catch {
        return;
      }
      if (message.method === "SUBSCRIBE" || message.method === "subscribe" || message.type === "subscribe")
        stats.subscribeMessages++;
      if (message.method === "ping" && (faults.ignorePings || faults.silent)) return;
      dialect.onMessage(message, client, context);
    });
    socket.on("close", () => {
      stats.open--;
      clients.delete(client);
    });
  });

  const timers: NodeJS.Timeout[] = [];
  const rate = options.tradesPerSecond ?? 200;
  let playing = rate > 0;
  let lastTick = Date.now();
  let owed = 0;
  if (rate > 0)
    timers.push(
      setInterval(() => {
        const now = Date.now();
        if (playing) {
          owed += ((now - lastTick) / 1000) * rate;
          const due = Math.floor(owed);
          owed -= due;
          if (due > 0) advance(due);
        }
        lastTick = now;
      }, 10),
    );
  if (dialect.heartbeat) {
    const heartbeat = dialect.heartbeat.bind(dialect);
    timers.push(
      setInterval(() => {
        for (const client of clients) sendTo(client, heartbeat(client));
      }, 1_000),
    );
  }
  if (options.maxConnectionAgeMs) {
    const maxAge = options.maxConnectionAgeMs;
    timers.push(
      setInterval(() => {
        for (const client of clients)
          if (Date.now() - client.openedAt >= maxAge && client.socket.readyState === WebSocket.OPEN) {
            stats.closedForAge++;
            client.socket.close(1000, "connection age limit");
          }
      }, 20),
    );
  }

  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const port = (http.address() as AddressInfo).port;
  const wsPath = { binance: "", coinbase: "", kraken: "/v2" }[options.exchange];
  return {
    exchange: options.exchange,
    websocketUrl: `ws://127.0.0.1:${port}${wsPath}`,
    restUrl: `http://127.0.0.1:${port}`,
    markets,
    stats,
    subscriptions: () => [...clients].reduce((sum, client) => sum + client.subscriptions.length, 0),
    position: (symbol) => positions.get(symbol) ?? 0,
    advance,
    pause: () => {
      playing = false;
    },
    resume: () => {
      lastTick = Date.now();
      playing = rate > 0;
    },
    inject(fault) {
      if (fault.kind === "drop") for (const client of clients) client.socket.terminate();
      else if (fault.kind === "silence") faults.silent = true;
      else if (fault.kind === "skip") faults.skip += fault.trades;
      else if (fault.kind === "refuse-subscriptions") faults.refuse = true;
      else if (fault.kind === "malformed" || fault.kind === "truncated") faults.broken = fault.kind;
      else if (fault.kind === "ignore-pings") faults.ignorePings = true;
    },
    heal() {
      faults.refuse = false;
      faults.silent = false;
      faults.ignorePings = false;
    },
    async close() {
      for (const timer of timers) clearInterval(timer);
      for (const client of clients) client.socket.terminate();
      wss.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
