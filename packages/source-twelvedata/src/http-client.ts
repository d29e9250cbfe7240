import { type Logger, type QiError, qiError, redactSecrets } from "@qicore/core/adapter";
import type { Clock } from "./clock";
import { type CreditBudget, nextUtcMidnight, type Priority } from "./credit-budget";
import {
  apiError,
  cancelled,
  dailySpentError,
  isDailyLimit,
  type RequestFacts,
  rateLimitedError,
} from "./errors";
import { MINUTE_MS } from "./intervals";

export type QueryValue = string | number | boolean | undefined;

export interface HttpClientOptions {
  baseUrl: string;
  apiKey: string;
  keySource: string | undefined;
  plan: string;
  timeoutMs: number;
  /** Further attempts of a request refused for the minute's credits (429), each after that minute. */
  retries: number;
  budget: CreditBudget;
  clock: Clock;
  logger: Logger;
  fetch?: typeof fetch;
}

export interface RequestOptions {
  /** Credits the request costs: one per symbol for /quote, /price and /time_series. */
  credits: number;
  priority: Priority;
  signal?: AbortSignal | undefined;
}

/** Seconds past the server's minute boundary to wait after a 429, so its new minute has surely begun. */
const MINUTE_MARGIN_MS = 1_000;
const USER_AGENT = "qicore-source-twelvedata";

type Outcome = { ok: true; value: unknown } | { ok: false; error: QiError; minuteLimit?: boolean };

/**
 * GET requests to Twelve Data through the key's credit budget. The key goes in the
 * `Authorization: apikey ...` header, so no URL in a message or a log carries it. Twelve Data
 * answers errors as `{"status": "error", "code": ..., "message": ...}`, often with HTTP 200:
 * the body's status decides, not just the HTTP code. A 429 for the minute holds every caller of
 * the key until the next minute and is tried again, up to `retries` times (that wait belongs to
 * the budget, which the pipeline's retry loop cannot see); a 429 for the day marks the day spent.
 * Other passing failures (timeouts, 5xx, broken bodies, lost connections) are thrown at once as
 * retryable, for the one retry loop the runtime runs.
 */
export class TwelveDataHttpClient {
  private readonly fetch: typeof fetch;
  private readonly baseUrl: string;

  constructor(private readonly options: HttpClientOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
  }

  get budget(): CreditBudget {
    return this.options.budget;
  }

  /** What messages show of a request: path and query, long symbol lists shortened, never a key. */
  describe(path: string, query: Record<string, QueryValue>): string {
    const shown: Record<string, QueryValue> = {};
    for (const [name, value] of Object.entries(query)) {
      const items = typeof value === "string" ? value.split(",") : [];
      shown[name] = items.length > 4 ? `${items.slice(0, 3).join(",")},…(${items.length} symbols)` : value;
    }
    return this.scrub(`GET ${path}${decodeURIComponent(queryString(shown))}`);
  }

  /** GETs `path`; returns the parsed body unless it is one of Twelve Data's error answers. */
  async getJson(path: string, query: Record<string, QueryValue>, request: RequestOptions): Promise<unknown> {
    const shown = this.describe(path, query);
    const url = `${this.baseUrl}${path}${queryString(query)}`;
    const { clock, budget, retries, logger } = this.options;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(url, shown, request);
      if (outcome.ok) return outcome.value;
      if (!outcome.minuteLimit)
        throw attempt > 1 ? outcome.error.withContext({ attempts: attempt }) : outcome.error;
      // Everyone using this key waits, not just this caller: the next call would earn another 429.
      const now = clock.now();
      budget.block(Math.floor(now / MINUTE_MS) * MINUTE_MS + MINUTE_MS + MINUTE_MARGIN_MS);
      if (attempt > retries) throw rateLimitedError(shown, attempt, apiMessageOf(outcome.error));
      if (request.signal?.aborted) throw cancelled(shown);
      logger.warn("Twelve Data refused the request for the minute's credits; waiting for the next minute", {
        request: shown,
        attempt,
      });
    }
  }

  private async attempt(url: string, shown: string, request: RequestOptions): Promise<Outcome> {
    const { timeoutMs, apiKey, budget } = this.options;
    const grant = await budget.acquire(request.credits, request.priority, request.signal);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    let status: number;
    let body: string;
    try {
      const response = await this.fetch(url, {
        headers: { accept: "application/json", authorization: `apikey ${apiKey}`, "user-agent": USER_AGENT },
        signal,
      });
      status = response.status;
      body = await response.text();
    } catch (thrown) {
      if (request.signal?.aborted) throw cancelled(shown);
      if (timeout.aborted)
        return {
          ok: false,
          // TIMEOUT is a NETWORK error, and those are retryable.
          error: qiError(
            "TIMEOUT",
            `twelvedata source: ${shown} got no complete answer within ${timeoutMs} ms (timeout)`,
            { context: { request: shown, timeoutMs }, cause: thrown },
          ),
        };
      return { ok: false, error: this.networkError(shown, thrown) };
    } finally {
      grant.release();
    }
    return this.interpret(status, body, shown);
  }

  private interpret(status: number, body: string, shown: string): Outcome {
    const facts: RequestFacts = {
      request: shown,
      keySource: this.options.keySource,
      plan: this.options.plan,
    };
    const value = parseJson(body);
    if (value === undefined) {
      const cut = status >= 200 && status < 300;
      return {
        ok: false,
        error: qiError(
          "EXTERNAL_ERROR",
          `twelvedata source: ${shown} returned ${cut ? "a body that is not complete JSON" : `HTTP ${status} without a JSON body`} (${body.length} characters${body.length > 0 ? `, ending "${this.scrub(body.slice(-40))}"` : ""})${cut ? "; it may have been cut off" : ""}`,
          {
            retryable: cut || status >= 500 || status === 408,
            context: { request: shown, status, length: body.length },
          },
        ),
      };
    }
    const error = errorBody(value);
    const code = error?.code ?? (status >= 200 && status < 300 ? undefined : status);
    if (code === undefined) return { ok: true, value };
    const message = error?.message === undefined ? undefined : this.scrub(error.message.slice(0, 400));
    if (code === 429) {
      if (isDailyLimit(message)) {
        this.options.budget.markDaySpent();
        return {
          ok: false,
          error: dailySpentError(shown, nextUtcMidnight(this.options.clock.now()), message),
        };
      }
      return { ok: false, error: apiError(429, message, facts), minuteLimit: true };
    }
    return { ok: false, error: apiError(code, message, { ...facts, symbol: error?.symbol }) };
  }

  private networkError(shown: string, thrown: unknown): QiError {
    // undici reports "fetch failed" and keeps the reason (ECONNREFUSED, a reset socket) in `cause`.
    const cause = (thrown as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
    const code = typeof cause?.code === "string" ? cause.code : (thrown as { code?: unknown })?.code;
    const reason =
      typeof cause?.message === "string"
        ? cause.message
        : thrown instanceof Error
          ? thrown.message
          : String(thrown);
    // NETWORK_ERROR is a NETWORK error, and those are retryable.
    return qiError(
      "NETWORK_ERROR",
      `twelvedata source: ${shown} failed: ${this.scrub(reason)}${typeof code === "string" ? ` (${code})` : ""}`,
      { context: { request: shown, ...(typeof code === "string" ? { errno: code } : {}) }, cause: thrown },
    );
  }

  /** Text from outside (Twelve Data's messages, bodies) with secrets and this key masked. */
  scrub(text: string): string {
    return redactSecrets(text).split(this.options.apiKey).join("***");
  }
}

/** Twelve Data's error answer: `{"status": "error", "code": 400, "message": ..., "meta": {"symbol": ...}}`. */
export function errorBody(
  value: unknown,
): { code: number; message: string | undefined; symbol: string | undefined } | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const body = value as { status?: unknown; code?: unknown; message?: unknown; meta?: { symbol?: unknown } };
  if (body.status !== "error") return undefined;
  return {
    code: typeof body.code === "number" ? body.code : Number(body.code) || 500,
    message: typeof body.message === "string" ? body.message : undefined,
    symbol: typeof body.meta?.symbol === "string" ? body.meta.symbol : undefined,
  };
}

function apiMessageOf(error: QiError): string | undefined {
  return /\(Twelve Data: "(.*)"\)$/.exec(error.message)?.[1];
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function queryString(query: Record<string, QueryValue>): string {
  const parameters = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined) parameters.set(name, String(value));
  const text = parameters.toString();
  return text ? `?${text}` : "";
}
