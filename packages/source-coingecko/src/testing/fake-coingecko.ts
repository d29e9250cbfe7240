import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type Clock, systemClock } from "../clock";
import { type FixtureName, fixtureJson, fixtureText } from "../fixtures";

/** The plans a key can belong to on the fake server. */
export type FakeKeyPlan = "demo" | "pro";

export interface FakeCoinGeckoOptions {
  /** The host this server plays: `demo` (api.coingecko.com: keyless and Demo keys) or `pro` (pro-api, Pro keys). */
  host?: "demo" | "pro";
  /** Keys the server knows, with the plan each belongs to. */
  keys?: Record<string, FakeKeyPlan>;
  /**
   * Calls per minute the server allows per key (keyless callers: one budget), counted over a
   * sliding minute; a call beyond it gets 429 with Retry-After. No limit when absent.
   */
  limits?: Partial<Record<"public" | FakeKeyPlan, number>>;
  /** Time of the server (prices, `last_updated_at`, rate windows); share it with the source under test. */
  clock?: Clock;
  /** Coins ranked by market cap: bitcoin, ethereum, then `coin-0003` … up to this many. Default 1000. */
  universe?: number;
  /** How often a coin's price (and `last_updated_at`) changes. Default 60 s (CoinGecko's Demo cache). */
  priceStepMs?: number;
  /** How often /global's `updated_at` changes. Default 60 s. */
  globalStepMs?: number;
  /** Answer rate-limited calls with Cloudflare's HTML page instead of the JSON 429. */
  rateLimitAsHtml?: boolean;
}

/** A scripted answer for the next matching request(s), ahead of the normal ones. */
export type FakeFault = {
  /** Path (after /api/v3) the fault applies to: exact text or a pattern; every path when absent. */
  path?: string | RegExp;
  /** How many requests it answers (default 1; Infinity for a lasting override). */
  times?: number;
} & (
  | { kind: "status"; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: "rate-limit"; retryAfterSeconds?: number }
  | { kind: "html"; status?: number; retryAfterSeconds?: number }
  | { kind: "auth"; errorCode: 10002 | 10005 | 10010 | 10011 | 10012 }
  | { kind: "truncated" }
  | { kind: "cut" }
  | { kind: "hang" }
  | { kind: "body"; body: unknown }
);

export interface FakeRequestRecord {
  /** Server time of arrival (the clock's). */
  time: number;
  path: string;
  query: Record<string, string>;
  /** `public`, or the plan and key the request carried. */
  caller: string;
  keyHeader: string | undefined;
  status: number;
}

export interface FakeCoinGecko {
  /** API root to give the source as `baseUrl`, e.g. `http://127.0.0.1:41234/api/v3`. */
  url: string;
  /** Every request, in order of arrival. */
  readonly requests: FakeRequestRecord[];
  /** Requests answered 429 (or the rate-limit page) because the caller exceeded its limit. */
  rateLimitedCount(): number;
  inject(fault: FakeFault): void;
  /** Drops the remaining faults. */
  clearFaults(): void;
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/**
 * A local stand-in for CoinGecko's API v3, for tests and offline runs: the endpoints the
 * source uses, with CoinGecko's documented shapes (its OpenAPI examples are the templates),
 * its key rules (which header, which host, errors 10002/10005/10010/10011/10012), a
 * per-key rate limit over a sliding minute, and deterministic prices that move with time.
 * Faults (429, HTML pages, truncated bodies, hangs) are injected per path.
 */
export async function startFakeCoinGecko(options: FakeCoinGeckoOptions = {}): Promise<FakeCoinGecko> {
  const clock = options.clock ?? systemClock;
  const host = options.host ?? "demo";
  const market = new FakeMarket(options.universe ?? 1000, options.priceStepMs ?? MINUTE_MS);
  const globalStepMs = options.globalStepMs ?? MINUTE_MS;
  const requests: FakeRequestRecord[] = [];
  const faults: (FakeFault & { left: number })[] = [];
  const windows = new Map<string, number[]>();
  const sockets = new Set<Socket>();
  let rateLimited = 0;

  const server = createServer((request, response) => {
    const time = clock.now();
    const url = new URL(request.url ?? "/", "http://localhost");
    const path = url.pathname.replace(/^\/api\/v3/, "") || "/";
    const query = Object.fromEntries(url.searchParams.entries());
    const demoKey = header(request, "x-cg-demo-api-key") ?? query.x_cg_demo_api_key;
    const proKey = header(request, "x-cg-pro-api-key") ?? query.x_cg_pro_api_key;
    const record: FakeRequestRecord = {
      time,
      path,
      query,
      caller: "public",
      keyHeader:
        demoKey !== undefined ? "x-cg-demo-api-key" : proKey !== undefined ? "x-cg-pro-api-key" : undefined,
      status: 0,
    };
    requests.push(record);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      const text = typeof body === "string" ? body : JSON.stringify(body);
      response.writeHead(status, {
        "content-type":
          typeof body === "string" ? "text/html; charset=UTF-8" : "application/json; charset=utf-8",
        ...headers,
      });
      response.end(text);
    };

    // Keys first, as CoinGecko does: the wrong key for the host is refused whatever the path.
    const auth = authorize(host, demoKey, proKey, options.keys ?? {});
    if ("errorCode" in auth) return send(401, errorBody(auth.errorCode));
    record.caller = auth.caller;

    const limit = options.limits?.[auth.plan];
    if (limit !== undefined) {
      const window = windows.get(auth.caller) ?? [];
      while (window.length > 0 && (window[0] as number) <= time - MINUTE_MS) window.shift();
      if (window.length >= limit) {
        rateLimited++;
        const retryAfter = Math.max(1, Math.ceil(((window[0] as number) + MINUTE_MS - time) / 1000));
        if (options.rateLimitAsHtml)
          return send(429, fixtureText("cloudflare-rate-limited.html"), {
            "retry-after": String(retryAfter),
          });
        return send(429, fixtureJson("error-429.json"), { "retry-after": String(retryAfter) });
      }
      window.push(time);
      windows.set(auth.caller, window);
    }

    const fault = takeFault(faults, path);
    if (fault)
      return answerFault(fault, request, response, record, () => route(path, query, auth.plan, time));
    const answer = route(path, query, auth.plan, time);
    send(answer.status, answer.body);
  });

  const route = (path: string, query: Record<string, string>, plan: "public" | FakeKeyPlan, now: number) =>
    answerRoute(market, host, plan, path, query, now, globalStepMs, options.limits?.pro);

  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/api/v3`,
    requests,
    rateLimitedCount: () => rateLimited,
    inject: (fault) => {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    clearFaults: () => {
      faults.length = 0;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type Authorized = { caller: string; plan: "public" | FakeKeyPlan };

function authorize(
  host: "demo" | "pro",
  demoKey: string | undefined,
  proKey: string | undefined,
  keys: Record<string, FakeKeyPlan>,
): Authorized | { errorCode: number } {
  if (host === "demo") {
    if (proKey !== undefined) return { errorCode: 10010 };
    if (demoKey === undefined) return { caller: "public", plan: "public" };
    const plan = keys[demoKey];
    // A Pro key in the Demo header still tells CoinGecko it is a Pro key on the Demo host.
    if (plan === "pro") return { errorCode: 10010 };
    if (plan === undefined) return { errorCode: 10002 };
    return { caller: `demo:${demoKey}`, plan };
  }
  if (demoKey !== undefined) return { errorCode: 10011 };
  if (proKey === undefined) return { errorCode: 10002 };
  const plan = keys[proKey];
  if (plan === "demo") return { errorCode: 10011 };
  if (plan === undefined) return { errorCode: 10002 };
  return { caller: `pro:${proKey}`, plan };
}

function errorBody(errorCode: number): unknown {
  switch (errorCode) {
    case 10005:
    case 10010:
    case 10011:
      return fixtureJson(`error-401-${errorCode}.json` as FixtureName);
    case 10012:
      return {
        status: {
          timestamp: new Date().toISOString(),
          error_code: 10012,
          error_message:
            "Your request exceeds the allowed time range. Public API users are limited to querying historical data within the past 365 days.",
        },
      };
    default:
      return fixtureJson("error-401-10002.json");
  }
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function takeFault(faults: (FakeFault & { left: number })[], path: string): FakeFault | undefined {
  const index = faults.findIndex(
    (fault) =>
      fault.path === undefined ||
      (typeof fault.path === "string" ? fault.path === path : fault.path.test(path)),
  );
  if (index < 0) return undefined;
  const fault = faults[index] as FakeFault & { left: number };
  fault.left--;
  if (fault.left <= 0) faults.splice(index, 1);
  return fault;
}

function answerFault(
  fault: FakeFault,
  request: IncomingMessage,
  response: ServerResponse,
  record: FakeRequestRecord,
  normal: () => { status: number; body: unknown },
): void {
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    record.status = status;
    response.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
    response.end(typeof body === "string" ? body : JSON.stringify(body));
  };
  switch (fault.kind) {
    case "status":
      json(fault.status, fault.body ?? "", fault.headers);
      return;
    case "rate-limit":
      json(429, fixtureJson("error-429.json"), { "retry-after": String(fault.retryAfterSeconds ?? 60) });
      return;
    case "html": {
      record.status = fault.status ?? 429;
      response.writeHead(record.status, {
        "content-type": "text/html; charset=UTF-8",
        ...(fault.retryAfterSeconds !== undefined ? { "retry-after": String(fault.retryAfterSeconds) } : {}),
      });
      response.end(fixtureText("cloudflare-rate-limited.html"));
      return;
    }
    case "auth":
      json(401, errorBody(fault.errorCode));
      return;
    case "body":
      json(200, fault.body);
      return;
    case "truncated": {
      const text = JSON.stringify(normal().body);
      json(200, text.slice(0, Math.max(1, Math.floor(text.length / 2))));
      return;
    }
    case "cut": {
      // Promise the whole body, send half, then drop the connection.
      const text = JSON.stringify(normal().body);
      record.status = 200;
      response.writeHead(200, {
        "content-type": "application/json; charset=utf-8",
        "content-length": String(Buffer.byteLength(text)),
      });
      response.write(text.slice(0, Math.floor(text.length / 2)));
      setTimeout(() => request.socket.destroy(), 5);
      return;
    }
    case "hang":
      record.status = -1;
      return;
  }
}

// -----------------------------------------------------------------------------
// Answers

function answerRoute(
  market: FakeMarket,
  host: "demo" | "pro",
  plan: "public" | FakeKeyPlan,
  path: string,
  query: Record<string, string>,
  now: number,
  globalStepMs: number,
  proLimit: number | undefined,
): { status: number; body: unknown } {
  const notFound = { status: 404, body: fixtureJson("error-404.json") };
  if (path === "/ping") return { status: 200, body: fixtureJson("ping.json") };
  if (path === "/key") {
    if (host !== "pro") return notFound;
    const usage = fixtureJson<Record<string, unknown>>("key.json");
    if (proLimit !== undefined) {
      usage.rate_limit_request_per_minute = proLimit;
      usage.api_key_rate_limit_request_per_minute = proLimit;
    }
    return { status: 200, body: usage };
  }
  if (path === "/simple/price") return { status: 200, body: market.simplePrice(query, now) };
  if (path === "/coins/markets") return { status: 200, body: market.coinsMarkets(query, now) };
  if (path === "/global") return { status: 200, body: market.global(now, globalStepMs) };
  const coinPath = /^\/coins\/([^/]+)\/(ohlc|ohlc\/range|market_chart\/range)$/.exec(path);
  if (coinPath) {
    const coin = decodeURIComponent(coinPath[1] as string);
    const endpoint = coinPath[2] as string;
    if (!market.knows(coin)) return notFound;
    if (endpoint === "ohlc") {
      const days = query.days ?? "1";
      if ((days === "max" || query.interval) && plan !== "pro")
        return { status: 401, body: errorBody(10005) };
      return { status: 200, body: market.ohlc(coin, days, query.interval, now) };
    }
    const from = Number(query.from) * 1000;
    const to = Number(query.to) * 1000;
    if (!Number.isFinite(from) || !Number.isFinite(to) || to < from)
      return { status: 422, body: { error: "invalid from/to" } };
    if (plan !== "pro" && from < now - 365 * DAY_MS) return { status: 401, body: errorBody(10012) };
    if (endpoint === "ohlc/range") {
      if (plan !== "pro") return { status: 401, body: errorBody(10005) };
      return {
        status: 200,
        body: market.ohlcRange(coin, from, to, query.interval === "hourly" ? HOUR_MS : DAY_MS),
      };
    }
    return { status: 200, body: market.marketChartRange(coin, from, to, now) };
  }
  return notFound;
}

/** Deterministic coins whose prices move with time, on the documented templates. */
class FakeMarket {
  private readonly coins: string[];
  private readonly rank = new Map<string, number>();
  private readonly simpleTemplate =
    fixtureJson<Record<string, Record<string, number>>>("simple-price.json").bitcoin ?? {};
  private readonly marketsTemplate = (fixtureJson<Record<string, unknown>[]>("coins-markets.json")[0] ??
    {}) as Record<string, unknown>;
  private readonly globalTemplate = fixtureJson<{ data: Record<string, unknown> }>("global.json");

  constructor(
    size: number,
    private readonly priceStepMs: number,
  ) {
    this.coins = ["bitcoin", "ethereum"];
    for (let index = 3; index <= size; index++) this.coins.push(`coin-${String(index).padStart(4, "0")}`);
    this.coins.forEach((coin, index) => {
      this.rank.set(coin, index + 1);
    });
  }

  knows(coin: string): boolean {
    return this.rank.has(coin);
  }

  symbol(coin: string): string {
    if (coin === "bitcoin") return "btc";
    if (coin === "ethereum") return "eth";
    return `c${coin.slice(5)}`;
  }

  private base(coin: string): number {
    if (coin === "bitcoin") return this.simpleTemplate.usd ?? 76975;
    if (coin === "ethereum") return 3050.25;
    return 0.01 + (hash(coin) % 100_000) / 100;
  }

  private supply(coin: string): number {
    // Market caps fall with rank, so /coins/markets' order is the universe's order.
    return 1.5e12 / (this.rank.get(coin) ?? 1) / this.base(coin);
  }

  /** The price at `time`: a slow wave around the coin's base, the same for everyone. */
  price(coin: string, time: number): number {
    const phase = (hash(coin) % 628) / 100;
    return round(this.base(coin) * (1 + 0.02 * Math.sin((2 * Math.PI * time) / (6 * HOUR_MS) + phase)), 8);
  }

  private updatedAt(now: number): number {
    return Math.floor(now / this.priceStepMs) * this.priceStepMs;
  }

  simplePrice(query: Record<string, string>, now: number): Record<string, Record<string, number>> {
    const ids = (query.ids ?? "").split(",").filter((id) => this.knows(id));
    const withBtc = (query.vs_currencies ?? "usd").split(",").includes("btc");
    const at = this.updatedAt(now);
    const body: Record<string, Record<string, number>> = {};
    for (const id of ids) {
      const price = this.price(id, at);
      const dayAgo = this.price(id, at - DAY_MS);
      const entry: Record<string, number> = { usd: price };
      if (query.include_market_cap === "true") entry.usd_market_cap = round(price * this.supply(id), 4);
      if (query.include_24hr_vol === "true") entry.usd_24h_vol = round(price * this.supply(id) * 0.02, 4);
      if (query.include_24hr_change === "true")
        entry.usd_24h_change = round(((price - dayAgo) / dayAgo) * 100, 10);
      if (withBtc) entry.btc = round(price / this.price("bitcoin", at), 12);
      if (query.include_last_updated_at === "true") entry.last_updated_at = at / 1000;
      body[id] = entry;
    }
    return body;
  }

  coinsMarkets(query: Record<string, string>, now: number): Record<string, unknown>[] {
    const perPage = Math.min(250, Math.max(1, Number(query.per_page ?? 100)));
    const page = Math.max(1, Number(query.page ?? 1));
    const ids = query.ids ? query.ids.split(",").filter((id) => this.knows(id)) : this.coins;
    const ordered = [...ids].sort((a, b) => (this.rank.get(a) ?? 0) - (this.rank.get(b) ?? 0));
    const at = this.updatedAt(now);
    return ordered.slice((page - 1) * perPage, page * perPage).map((id) => {
      const price = this.price(id, at);
      const dayAgo = this.price(id, at - DAY_MS);
      const weekAgo = this.price(id, at - 7 * DAY_MS);
      return {
        ...this.marketsTemplate,
        id,
        symbol: this.symbol(id),
        name: id === "bitcoin" ? "Bitcoin" : id === "ethereum" ? "Ethereum" : `Coin ${id.slice(5)}`,
        current_price: price,
        market_cap: round(price * this.supply(id), 2),
        market_cap_rank: this.rank.get(id),
        total_volume: round(price * this.supply(id) * 0.02, 2),
        price_change_24h: round(price - dayAgo, 8),
        price_change_percentage_24h: round(((price - dayAgo) / dayAgo) * 100, 5),
        price_change_percentage_24h_in_currency: ((price - dayAgo) / dayAgo) * 100,
        price_change_percentage_7d_in_currency: ((price - weekAgo) / weekAgo) * 100,
        last_updated: new Date(at + 599).toISOString(),
      };
    });
  }

  /** Candles stamped at close, the newest one still open (its close lies ahead, its last price the latest update). */
  ohlc(coin: string, days: string, interval: string | undefined, now: number): number[][] {
    const width =
      interval === "hourly"
        ? HOUR_MS
        : interval === "daily"
          ? DAY_MS
          : days === "max" || Number(days) > 30
            ? 4 * DAY_MS
            : Number(days) > 2
              ? 4 * HOUR_MS
              : 30 * MINUTE_MS;
    const span = (days === "max" ? 730 : Number(days)) * DAY_MS;
    const lastClose = Math.ceil(now / width) * width;
    const rows: number[][] = [];
    for (let close = Math.floor((now - span) / width) * width + width; close <= lastClose; close += width)
      rows.push(this.candle(coin, close, width, Math.min(close, this.updatedAt(now))));
    return rows;
  }

  ohlcRange(coin: string, from: number, to: number, width: number): number[][] {
    const rows: number[][] = [];
    for (let close = Math.ceil(from / width) * width; close <= to; close += width)
      rows.push(this.candle(coin, close, width, close));
    return rows;
  }

  private candle(coin: string, close: number, width: number, lastTradeAt: number): number[] {
    const open = this.price(coin, close - width);
    const last = this.price(coin, lastTradeAt);
    const middle = this.price(coin, close - width / 2);
    return [
      close,
      open,
      round(Math.max(open, last, middle) * 1.001, 8),
      round(Math.min(open, last, middle) * 0.999, 8),
      last,
    ];
  }

  /** Points at CoinGecko's automatic granularity: 5-minutely for a day up to now, hourly up to 90 days, else daily. */
  marketChartRange(coin: string, from: number, to: number, now: number) {
    const span = to - from;
    const step =
      span <= DAY_MS && now - to < HOUR_MS ? 5 * MINUTE_MS : span <= 90 * DAY_MS ? HOUR_MS : DAY_MS;
    const prices: [number, number][] = [];
    const caps: [number, number][] = [];
    const volumes: [number, number][] = [];
    for (let time = Math.ceil(from / step) * step; time <= Math.min(to, now); time += step) {
      const price = this.price(coin, time);
      prices.push([time, price]);
      caps.push([time, round(price * this.supply(coin), 2)]);
      volumes.push([time, round(price * this.supply(coin) * 0.02, 2)]);
    }
    return { prices, market_caps: caps, total_volumes: volumes };
  }

  global(now: number, stepMs: number) {
    const at = Math.floor(now / stepMs) * stepMs;
    const data = structuredClone(this.globalTemplate.data) as Record<string, unknown> & {
      total_market_cap: Record<string, number>;
      total_volume: Record<string, number>;
      market_cap_percentage: Record<string, number>;
    };
    const wave = 1 + 0.01 * Math.sin((2 * Math.PI * at) / (6 * HOUR_MS));
    data.total_market_cap.usd = round((data.total_market_cap.usd ?? 0) * wave, 4);
    data.total_volume.usd = round((data.total_volume.usd ?? 0) * wave, 4);
    data.market_cap_percentage.btc = round((data.market_cap_percentage.btc ?? 0) * wave, 10);
    data.updated_at = Math.floor(at / 1000);
    return { data };
  }
}

function hash(text: string): number {
  let value = 2166136261;
  for (let index = 0; index < text.length; index++) {
    value ^= text.charCodeAt(index);
    value = Math.imul(value, 16777619);
  }
  return value >>> 0;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
