import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type Clock, systemClock } from "../clock";
import { type FixtureName, fixtureJson } from "../fixtures";
import {
  type BarInterval,
  barEnd,
  bars,
  DAY,
  decimal,
  LISTINGS,
  type Listing,
  lastTradingMinute,
  MINUTE,
  priceAt,
  volumeAt,
  wallOf,
  wallText,
} from "./market";

/** The plans a key can be on at the stand-in, with Twelve Data's credit limits. */
export type FakePlan = "basic" | "grow" | "pro";

const PLAN_LIMITS: Record<FakePlan, { perMinute: number; perDay: number | undefined }> = {
  basic: { perMinute: 8, perDay: 800 },
  grow: { perMinute: 55, perDay: undefined },
  pro: { perMinute: 610, perDay: undefined },
};

export interface FakeTwelveDataOptions {
  /** Keys the stand-in knows, with their plans. Default: `test-key` on basic. */
  keys?: Record<string, FakePlan>;
  /** Overrides of the plans' credits (per calendar minute, per UTC day). */
  limits?: Partial<Record<FakePlan, { perMinute?: number; perDay?: number | undefined }>>;
  /** Time of the stand-in: prices, bars, credit windows. Share it with the source under test. */
  clock?: Clock;
  /**
   * How errors are answered: `200` (the default, as Twelve Data often does: HTTP 200 with
   * `{"status": "error", "code": ...}`) or `code` (the HTTP status is the error's code).
   */
  errorStatus?: "200" | "code";
  /** Answer /api_usage (default true); false answers 404, as a proxy without it would. */
  apiUsage?: boolean;
}

/** A scripted answer for the next matching request(s), ahead of the normal ones. */
export type FakeFault = {
  /** Path the fault applies to (`/quote`); every path when absent. */
  path?: string;
  /** How many requests it answers (default 1). */
  times?: number;
} & (
  | { kind: "status"; status: number; body?: unknown }
  | { kind: "error"; code: number; message?: string }
  | { kind: "rate-limit" }
  | { kind: "daily-limit" }
  | { kind: "truncated" }
  | { kind: "cut" }
  | { kind: "hang" }
  | { kind: "reset" }
);

export interface FakeRequestRecord {
  /** Stand-in time of arrival (the clock's). */
  time: number;
  path: string;
  query: Record<string, string>;
  /** The request's full URL path and query, as it arrived. */
  url: string;
  /** The key from the Authorization header (`apikey KEY`), if any. */
  headerKey: string | undefined;
  /** Credits charged (0 when refused before counting). */
  credits: number;
  /** HTTP status sent, and the body's error code where the body is an error. */
  status: number;
  code: number | undefined;
}

export interface FakeTwelveData {
  /** API root to give the source as `baseUrl`, e.g. `http://127.0.0.1:41234`. */
  url: string;
  readonly requests: FakeRequestRecord[];
  /** Answers refused for credits (429, the minute's or the day's) because the caller overspent. */
  rateLimitedCount(): number;
  /** Credits a key spent in the UTC day of `time` (default now). */
  creditsOfDay(key: string, time?: number): number;
  inject(fault: FakeFault): void;
  clearFaults(): void;
  close(): Promise<void>;
}

const COST_FREE_PATHS = new Set<string>();

/**
 * A local stand-in for Twelve Data's REST API, for tests and offline runs: /quote, /price and
 * /time_series (one symbol or a batch, with per-symbol errors for symbols it does not list),
 * /api_usage, the key in the `Authorization: apikey ...` header, credits (1 per symbol, 1 for
 * /api_usage) counted per calendar minute and per UTC day as Twelve Data counts them, with its
 * 429 answers beyond, error bodies with HTTP 200 by default, and deterministic stocks, forex and
 * crypto whose times are the exchange's wall clock. Faults are injected per path.
 */
export async function startFakeTwelveData(options: FakeTwelveDataOptions = {}): Promise<FakeTwelveData> {
  const clock = options.clock ?? systemClock;
  const keys = options.keys ?? { "test-key": "basic" };
  const errorStatus = options.errorStatus ?? "200";
  const requests: FakeRequestRecord[] = [];
  const faults: (FakeFault & { left: number })[] = [];
  const minutes = new Map<string, { minute: number; used: number }>();
  const days = new Map<string, Map<number, number>>();
  const sockets = new Set<Socket>();
  let rateLimited = 0;

  const limitsOf = (plan: FakePlan) => ({ ...PLAN_LIMITS[plan], ...options.limits?.[plan] });

  const server = createServer((request, response) => {
    const time = clock.now();
    const url = new URL(request.url ?? "/", "http://localhost");
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const query = Object.fromEntries(url.searchParams.entries());
    const authorization = header(request, "authorization");
    const headerKey = /^apikey\s+(.+)$/i.exec(authorization ?? "")?.[1]?.trim();
    const record: FakeRequestRecord = {
      time,
      path,
      query,
      url: request.url ?? "/",
      headerKey,
      credits: 0,
      status: 0,
      code: undefined,
    };
    requests.push(record);
    const send = (status: number, body: unknown) => {
      record.status = status;
      response.writeHead(status, { "content-type": "application/json; charset=utf-8" });
      response.end(typeof body === "string" ? body : JSON.stringify(body));
    };
    const sendError = (
      body: { code: number; message: string; status: "error" } & Record<string, unknown>,
    ) => {
      record.code = body.code;
      send(errorStatus === "code" ? body.code : 200, body);
    };

    const key = headerKey ?? query.apikey;
    const plan = key === undefined ? undefined : keys[key];
    if (!key || !plan) return sendError(fixture("error-401.json"));

    const symbols = (query.symbol ?? "").split(",").filter((symbol) => symbol.length > 0);
    const cost = COST_FREE_PATHS.has(path) ? 0 : path === "/api_usage" ? 1 : Math.max(1, symbols.length);
    const limits = limitsOf(plan);
    const minute = Math.floor(time / MINUTE);
    const day = Math.floor(time / DAY);
    const window = minutes.get(key);
    const minuteUsed = window && window.minute === minute ? window.used : 0;
    const keyDays = days.get(key) ?? new Map<number, number>();
    days.set(key, keyDays);
    const dayUsed = keyDays.get(day) ?? 0;
    if (limits.perDay !== undefined && dayUsed + cost > limits.perDay) {
      rateLimited++;
      return sendError({
        ...fixture("error-429-day.json"),
        message: `You have run out of API credits for the day. ${dayUsed + cost} API credits were used, with the current limit being ${limits.perDay}. Wait for the next day or consider switching to a higher tier plan at https://twelvedata.com/pricing`,
      });
    }
    if (minuteUsed + cost > limits.perMinute) {
      rateLimited++;
      return sendError({
        ...fixture("error-429-minute.json"),
        message: `You have run out of API credits for the current minute. ${minuteUsed + cost} API credits were used, with the current limit being ${limits.perMinute}. Wait for the next minute or consider switching to a higher tier plan at https://twelvedata.com/pricing`,
      });
    }
    minutes.set(key, { minute, used: minuteUsed + cost });
    keyDays.set(day, dayUsed + cost);
    record.credits = cost;

    const answer = () =>
      route(path, query, symbols, time, {
        plan,
        limits,
        minuteUsed: minuteUsed + cost,
        dayUsed: dayUsed + cost,
        apiUsage: options.apiUsage ?? true,
      });
    const fault = takeFault(faults, path);
    if (fault) return answerFault(fault, request, response, record, errorStatus, answer);
    const result = answer();
    if ("error" in result) return sendError(result.error);
    send(200, result.body);
  });

  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    rateLimitedCount: () => rateLimited,
    creditsOfDay: (key, at = clock.now()) => days.get(key)?.get(Math.floor(at / DAY)) ?? 0,
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

type ErrorAnswer = { code: number; message: string; status: "error" } & Record<string, unknown>;
type RouteResult = { body: unknown } | { error: ErrorAnswer };

interface KeyFacts {
  plan: FakePlan;
  limits: { perMinute: number; perDay: number | undefined };
  minuteUsed: number;
  dayUsed: number;
  apiUsage: boolean;
}

function fixture(name: FixtureName): ErrorAnswer {
  return fixtureJson<ErrorAnswer>(name);
}

function route(
  path: string,
  query: Record<string, string>,
  symbols: string[],
  now: number,
  key: KeyFacts,
): RouteResult {
  if (path === "/api_usage") {
    if (!key.apiUsage) return { error: { code: 404, message: "Not found", status: "error" } };
    return {
      body: {
        timestamp: wallText(now, false),
        current_usage: key.minuteUsed,
        plan_limit: key.limits.perMinute,
        ...(key.limits.perDay !== undefined
          ? { daily_usage: key.dayUsed, plan_daily_limit: key.limits.perDay }
          : {}),
        plan_category: key.plan,
      },
    };
  }
  const answerOne =
    path === "/quote" ? quote : path === "/price" ? price : path === "/time_series" ? timeSeries : undefined;
  if (!answerOne) return { error: { code: 404, message: `${path} is not an endpoint`, status: "error" } };
  if (symbols.length === 0)
    return { error: { code: 400, message: "**symbol** parameter is missing or invalid.", status: "error" } };
  if (path === "/time_series" && !INTERVAL_MINUTES[query.interval ?? ""])
    return {
      error: {
        code: 400,
        message: `**interval** not found: ${query.interval}. Please specify it correctly according to API Documentation.`,
        status: "error",
      },
    };
  const one = (text: string): RouteResult => {
    const [symbol = "", exchange] = text.split(":");
    const listing = LISTINGS.find(
      (candidate) =>
        candidate.symbol === symbol &&
        (exchange ?? query.exchange ?? candidate.exchange) === candidate.exchange &&
        (query.mic_code ?? candidate.micCode) === candidate.micCode,
    );
    if (!listing)
      return {
        error: {
          ...fixture("error-400-symbol.json"),
          message: `**symbol** not found: ${text}. Please specify it correctly according to API Documentation.`,
          meta: { symbol: text, interval: query.interval ?? "", exchange: exchange ?? "" },
        },
      };
    return answerOne(listing, query, now);
  };
  if (symbols.length === 1) return one(symbols[0] as string);
  // A batch: one entry per symbol asked for, errors among them, never for the whole answer.
  const body: Record<string, unknown> = {};
  for (const text of symbols) {
    const result = one(text);
    body[text] = "error" in result ? result.error : result.body;
  }
  return { body };
}

const INTERVAL_MINUTES: Record<string, BarInterval> = {
  "1min": { minutes: 1 },
  "5min": { minutes: 5 },
  "15min": { minutes: 15 },
  "30min": { minutes: 30 },
  "45min": { minutes: 45 },
  "1h": { minutes: 60 },
  "2h": { minutes: 120 },
  "4h": { minutes: 240 },
  "8h": { minutes: 480 },
  "1day": { days: 1 },
  "1week": { days: 7 },
  "1month": { months: 1 },
};

function identity(listing: Listing): Record<string, unknown> {
  return listing.kind === "equity"
    ? { exchange: listing.exchange, mic_code: listing.micCode, currency: listing.currency }
    : listing.kind === "crypto"
      ? { exchange: listing.exchange }
      : {};
}

function quote(listing: Listing, _query: Record<string, string>, now: number): RouteResult {
  const template = fixtureJson<Record<string, unknown>>("quote.json");
  const nowWall = wallOf(now, listing.zone);
  const lastWall = lastTradingMinute(listing, nowWall);
  const lastInstant = now - (nowWall - lastWall);
  const dayWall = Math.floor(lastWall / DAY) * DAY;
  const [today, yesterday] = bars(listing, { days: 1 }, lastWall, dayWall - 10 * DAY, 2);
  const close = priceAt(listing, lastWall);
  const previous = yesterday?.close ?? close;
  const {
    fifty_two_week: _year,
    exchange: _exchange,
    mic_code: _mic,
    currency: _currency,
    volume: _volume,
    average_volume: _average,
    ...rest
  } = template;
  return {
    body: {
      ...rest,
      symbol: listing.symbol,
      name: listing.name,
      ...identity(listing),
      datetime: wallText(dayWall, true),
      // The opening bar of the day (its first minute), and the last minute bar.
      timestamp: Math.floor(
        (lastInstant - (lastWall - (today ? dayStartWall(listing, dayWall) : lastWall))) / 1000,
      ),
      last_quote_at: Math.floor(lastInstant / 1000),
      open: decimal(today?.open ?? close),
      high: decimal(today?.high ?? close),
      low: decimal(today?.low ?? close),
      close: decimal(close),
      ...(listing.hasVolume ? { volume: decimal(volumeAt(listing, dayWall), 0) } : {}),
      previous_close: decimal(previous),
      change: decimal(close - previous),
      percent_change: decimal(((close - previous) / previous) * 100),
      ...(listing.kind === "crypto"
        ? {
            rolling_1d_change: decimal(
              ((close - priceAt(listing, lastWall - DAY)) / priceAt(listing, lastWall - DAY)) * 100,
            ),
            rolling_7d_change: decimal(
              ((close - priceAt(listing, lastWall - 7 * DAY)) / priceAt(listing, lastWall - 7 * DAY)) * 100,
            ),
          }
        : {}),
      is_market_open: lastWall === Math.floor(nowWall / MINUTE) * MINUTE,
    },
  };
}

function dayStartWall(listing: Listing, dayWall: number): number {
  return listing.kind === "equity" ? dayWall + (9 * 60 + 30) * MINUTE : dayWall;
}

function price(listing: Listing, _query: Record<string, string>, now: number): RouteResult {
  const lastWall = lastTradingMinute(listing, wallOf(now, listing.zone));
  return { body: { price: decimal(priceAt(listing, lastWall)) } };
}

/**
 * Rows newest first (`order=asc` reverses them). Without dates, the newest `outputsize`
 * (default 30); with `start_date` / `end_date` (wall times of the exchange, both inclusive),
 * those in the range, at most `outputsize` (default 5000), the newest kept. An empty range is
 * Twelve Data's 400 "No data is available on the specified dates".
 */
function timeSeries(listing: Listing, query: Record<string, string>, now: number): RouteResult {
  const interval = INTERVAL_MINUTES[query.interval ?? ""] as BarInterval;
  const dated = query.start_date !== undefined || query.end_date !== undefined;
  const limit = Math.min(5000, Math.max(1, Number(query.outputsize ?? (dated ? 5000 : 30)) || 30));
  const nowWall = wallOf(now, listing.zone);
  const endWall = query.end_date ? Math.min(nowWall, parseDateParameter(query.end_date)) : nowWall;
  const startWall = query.start_date ? parseDateParameter(query.start_date) : Number.NEGATIVE_INFINITY;
  const found = bars(
    listing,
    interval,
    endWall,
    Number.isFinite(startWall) ? startWall : nowWall - 4000 * DAY,
    limit,
  ).map((row) => {
    // A bar is a row of its whole width, not cut at end_date: one that ended before now has
    // all its prices, the one open now its prices up to now. Asked from its own last minute
    // so the row found is this bar, not the newest one.
    const end = barEnd(interval, row.wall);
    if (end <= endWall || endWall >= nowWall) return row;
    return bars(listing, interval, Math.min(nowWall, end - MINUTE), row.wall, 1)[0] ?? row;
  });
  if (found.length === 0)
    return {
      error: {
        ...fixture("error-400-no-data.json"),
        meta: { symbol: listing.symbol, interval: query.interval, exchange: listing.exchange ?? "" },
      },
    };
  const dateOnly = !("minutes" in interval);
  const values = found.map((row) => ({
    datetime: wallText(row.wall, dateOnly),
    open: decimal(row.open),
    high: decimal(row.high),
    low: decimal(row.low),
    close: decimal(row.close),
    ...(listing.hasVolume
      ? { volume: listing.kind === "crypto" ? decimal(row.volume, 8) : decimal(row.volume, 0) }
      : {}),
  }));
  if (query.order?.toLowerCase() === "asc") values.reverse();
  const meta =
    listing.kind === "equity"
      ? {
          symbol: listing.symbol,
          interval: query.interval,
          currency: listing.currency,
          exchange_timezone: listing.zone,
          exchange: listing.exchange,
          mic_code: listing.micCode,
          type: "Common Stock",
        }
      : {
          symbol: listing.symbol,
          interval: query.interval,
          currency_base: listing.currencyBase,
          currency_quote: listing.currencyQuote,
          ...(listing.exchange ? { exchange: listing.exchange } : {}),
          type: listing.kind === "forex" ? "Physical Currency" : "Digital Currency",
        };
  return { body: { meta, values, status: "ok" } };
}

/** `2024-03-11`, `2024-03-11 09:30:00` or `2024-03-11T09:30:00`, as a wall time. */
function parseDateParameter(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text.trim());
  if (!match) return Number.NaN;
  const [, year, month, dayText, hour = "0", minute = "0", second = "0"] = match;
  return Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(dayText),
    Number(hour),
    Number(minute),
    Number(second),
  );
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function takeFault(faults: (FakeFault & { left: number })[], path: string): FakeFault | undefined {
  const index = faults.findIndex((fault) => fault.path === undefined || fault.path === path);
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
  errorStatus: "200" | "code",
  normal: () => RouteResult,
): void {
  const json = (status: number, body: unknown) => {
    record.status = status;
    response.writeHead(status, { "content-type": "application/json; charset=utf-8" });
    response.end(typeof body === "string" ? body : JSON.stringify(body));
  };
  const error = (body: ErrorAnswer) => {
    record.code = body.code;
    json(errorStatus === "code" ? body.code : 200, body);
  };
  const normalText = () => {
    const result = normal();
    return JSON.stringify("error" in result ? result.error : result.body);
  };
  switch (fault.kind) {
    case "status":
      json(fault.status, fault.body ?? "");
      return;
    case "error":
      error({ code: fault.code, message: fault.message ?? `error ${fault.code}`, status: "error" });
      return;
    case "rate-limit":
      error(fixture("error-429-minute.json"));
      return;
    case "daily-limit":
      error(fixture("error-429-day.json"));
      return;
    case "truncated": {
      const text = normalText();
      json(200, text.slice(0, Math.max(1, Math.floor(text.length / 2))));
      return;
    }
    case "cut": {
      // Promise the whole body, send half, then drop the connection.
      const text = normalText();
      record.status = 200;
      response.writeHead(200, {
        "content-type": "application/json; charset=utf-8",
        "content-length": String(Buffer.byteLength(text)),
      });
      response.write(text.slice(0, Math.floor(text.length / 2)));
      setTimeout(() => request.socket.destroy(), 5);
      return;
    }
    case "reset":
      record.status = -2;
      request.socket.destroy();
      return;
    case "hang":
      record.status = -1;
      return;
  }
}
