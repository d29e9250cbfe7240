import { type Logger, type QiError, qiError, redactSecrets } from "@qicore/core/adapter";
import type { Clock } from "./clock";
import { authError, cancelled, type RequestFacts, rateLimitedError } from "./errors";
import type { CoinGeckoPlan } from "./plans";
import type { Priority, RateBudget } from "./rate-budget";

export type QueryValue = string | number | boolean | undefined;

export interface HttpClientOptions {
  baseUrl: string;
  plan: CoinGeckoPlan;
  apiKey: string | undefined;
  keyHeader: string | undefined;
  /** Where the key came from (`config`, a variable name), for messages. */
  keySource: string | undefined;
  timeoutMs: number;
  /** Further attempts of a request CoinGecko rate-limited (429 or its HTML page), each after the pause it asked for. */
  retries: number;
  budget: RateBudget;
  clock: Clock;
  logger: Logger;
  /** Replaces the global fetch (tests, proxies with custom agents). */
  fetch?: typeof fetch;
}

export interface RequestOptions {
  priority: Priority;
  signal?: AbortSignal;
}

/** How long to hold every caller after a 429 without Retry-After, or a rate-limit page. */
const DEFAULT_RATE_LIMIT_PAUSE_MS = 60_000;
const USER_AGENT = "qicore-source-coingecko";

interface Failure {
  error: QiError;
  /** Set when the server asked for a pause (429, rate-limit page): the budget holds until then. */
  pauseMs?: number;
}

/**
 * GET requests to CoinGecko through the key's rate budget: each attempt takes a slot, and a
 * 429 (or Cloudflare's HTML page) pauses every caller of the key for the Retry-After time and
 * is tried again, up to `retries` times: that wait is part of the budget, which the pipeline's
 * retry loop cannot see. Other passing failures (timeouts, 5xx, broken bodies, lost
 * connections) are thrown at once as retryable, for the one retry loop the runtime runs; and
 * everything else becomes a QiError that says what to fix. Keys travel in headers only, so no
 * URL in a message or log carries one.
 */
export class CoinGeckoHttpClient {
  private readonly fetch: typeof fetch;
  private readonly baseUrl: string;

  constructor(private readonly options: HttpClientOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
  }

  get budget(): RateBudget {
    return this.options.budget;
  }

  /** GETs `path` and returns the parsed JSON body. */
  async getJson(path: string, query: Record<string, QueryValue>, request: RequestOptions): Promise<unknown> {
    // Messages name the whole URL (which host matters when a baseUrl is set); keys are never
    // in it, and a proxy's password is masked.
    const shown = redactSecrets(describePath(`${this.baseUrl}${path}`, query));
    const url = `${this.baseUrl}${path}${queryString(query)}`;
    const { retries, clock, logger } = this.options;
    let rateLimits = 0;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(url, shown, request);
      if (outcome.ok) return outcome.value;
      const { error, pauseMs } = outcome.failure;
      if (pauseMs === undefined) throw attempt > 1 ? error.withContext({ attempts: attempt }) : error;
      rateLimits++;
      // Everyone using this key waits, not just this caller: the next call would earn another 429.
      this.options.budget.block(clock.now() + pauseMs);
      if (rateLimits > retries || request.signal?.aborted) {
        // Not retryable: these were the retries, so no outer loop adds its own.
        throw error.code === "RATE_LIMITED"
          ? rateLimitedError(shown, pauseMs, error.message, rateLimits)
          : error;
      }
      logger.warn("CoinGecko rate-limited the request; waiting as told, then trying again", {
        url: shown,
        attempt,
        code: error.code,
        error: error.message,
        pauseMs,
      });
      if (request.signal?.aborted) throw cancelled(shown);
    }
  }

  private async attempt(
    url: string,
    shown: string,
    request: RequestOptions,
  ): Promise<{ ok: true; value: unknown } | { ok: false; failure: Failure }> {
    const { timeoutMs, apiKey, keyHeader } = this.options;
    const permit = await this.options.budget.acquire(request.priority, request.signal);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const headers: Record<string, string> = { accept: "application/json", "user-agent": USER_AGENT };
    if (apiKey && keyHeader) headers[keyHeader] = apiKey;
    let status: number;
    let responseHeaders: Headers;
    let body: string;
    try {
      const response = await this.fetch(url, { headers, signal });
      status = response.status;
      responseHeaders = response.headers;
      body = await response.text();
    } catch (thrown) {
      if (request.signal?.aborted) throw cancelled(shown);
      if (timeout.aborted) {
        return failure(
          qiError(
            "TIMEOUT",
            `coingecko source: GET ${shown} got no complete answer within ${timeoutMs} ms (timeout)`,
            { context: { url: shown, timeoutMs }, cause: thrown },
          ),
        );
      }
      return failure(networkError(shown, thrown));
    } finally {
      permit.release();
    }
    return this.interpret(status, responseHeaders, body, shown);
  }

  private interpret(
    status: number,
    headers: Headers,
    body: string,
    shown: string,
  ): { ok: true; value: unknown } | { ok: false; failure: Failure } {
    const facts: RequestFacts = { url: shown, plan: this.options.plan, keySource: this.options.keySource };
    const contentType = headers.get("content-type") ?? "";
    if (looksLikeHtml(contentType, body)) {
      // Cloudflare answers rate-limited (and blocked) clients with a page, not JSON.
      const pauseMs =
        retryAfterMs(headers.get("retry-after"), this.options.clock) ?? DEFAULT_RATE_LIMIT_PAUSE_MS;
      return failure(
        qiError(
          "RATE_LIMITED",
          `coingecko source: GET ${shown} got an HTML page (HTTP ${status}${pageTitle(body)}) instead of JSON, which is how CoinGecko's CDN turns away clients it rate limits; pausing ${Math.round(pauseMs / 1000)} s`,
          { retryable: true, context: { url: shown, status } },
        ),
        pauseMs,
      );
    }
    if (status === 429) {
      const pauseMs =
        retryAfterMs(headers.get("retry-after"), this.options.clock) ?? DEFAULT_RATE_LIMIT_PAUSE_MS;
      return failure(
        qiError(
          "RATE_LIMITED",
          `coingecko source: GET ${shown} got HTTP 429 (${apiMessageOf(body) ?? "rate limit exceeded"}); Retry-After ${Math.round(pauseMs / 1000)} s`,
          { retryable: true, context: { url: shown, status, retryAfterMs: pauseMs } },
        ),
        pauseMs,
      );
    }
    if (status === 401 || status === 403) {
      const parsed = parseJson(body);
      const statusField = (
        parsed as { status?: { error_code?: unknown; error_message?: unknown } } | undefined
      )?.status;
      const errorCode = typeof statusField?.error_code === "number" ? statusField.error_code : undefined;
      return failure(authError(status, errorCode, apiMessageOf(body), facts));
    }
    if (status >= 500 || status === 408) {
      return failure(
        qiError(
          "EXTERNAL_ERROR",
          `coingecko source: GET ${shown} failed on CoinGecko's side (HTTP ${status}${detail(body)})`,
          { retryable: true, context: { url: shown, status } },
        ),
      );
    }
    if (status < 200 || status >= 300) {
      return failure(
        qiError(
          "EXTERNAL_ERROR",
          `coingecko source: CoinGecko refused GET ${shown} (HTTP ${status}${detail(body)})`,
          { context: { url: shown, status } },
        ),
      );
    }
    const value = parseJson(body);
    if (value === undefined) {
      return failure(
        qiError(
          "EXTERNAL_ERROR",
          `coingecko source: GET ${shown} returned a body that is not complete JSON (${body.length} characters${body.length > 0 ? `, ending "${redactSecrets(body.slice(-40))}"` : ""}); it may have been cut off`,
          { retryable: true, context: { url: shown, status, length: body.length } },
        ),
      );
    }
    return { ok: true, value };
  }
}

function failure(error: QiError, pauseMs?: number): { ok: false; failure: Failure } {
  return { ok: false, failure: pauseMs === undefined ? { error } : { error, pauseMs } };
}

function networkError(shown: string, thrown: unknown): QiError {
  // undici reports "fetch failed" and keeps the reason (ECONNREFUSED, a reset socket) in `cause`.
  const cause = (thrown as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const code = typeof cause?.code === "string" ? cause.code : (thrown as { code?: unknown })?.code;
  const reason =
    typeof cause?.message === "string"
      ? cause.message
      : thrown instanceof Error
        ? thrown.message
        : String(thrown);
  return qiError(
    "NETWORK_ERROR",
    `coingecko source: GET ${shown} failed: ${reason}${typeof code === "string" ? ` (${code})` : ""}`,
    { context: { url: shown, ...(typeof code === "string" ? { errno: code } : {}) }, cause: thrown },
  );
}

/** Retry-After in seconds or as an HTTP date, in milliseconds from now; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, clock: Clock): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - clock.now());
}

function looksLikeHtml(contentType: string, body: string): boolean {
  if (contentType.includes("text/html")) return true;
  const start = body.trimStart().slice(0, 15).toLowerCase();
  return start.startsWith("<!doctype") || start.startsWith("<html");
}

function pageTitle(body: string): string {
  const title = /<title>([^<]{1,120})<\/title>/i.exec(body)?.[1]?.trim();
  return title ? `, "${title}"` : "";
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/** CoinGecko's error text: `status.error_message` or `error`. */
function apiMessageOf(body: string): string | undefined {
  const parsed = parseJson(body) as { status?: { error_message?: unknown }; error?: unknown } | undefined;
  const message = parsed?.status?.error_message ?? parsed?.error;
  return typeof message === "string" ? redactSecrets(message.slice(0, 300)) : undefined;
}

function detail(body: string): string {
  const message = apiMessageOf(body);
  if (message) return `: ${message}`;
  const text = body.trim().slice(0, 120);
  return text ? `: ${redactSecrets(text)}` : "";
}

function queryString(query: Record<string, QueryValue>): string {
  const parameters = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) parameters.set(name, String(value));
  }
  const text = parameters.toString();
  return text ? `?${text}` : "";
}

/** The path and query as messages show them: long id lists shortened. */
function describePath(path: string, query: Record<string, QueryValue>): string {
  const shown: Record<string, QueryValue> = {};
  for (const [name, value] of Object.entries(query)) {
    if (typeof value === "string" && value.length > 80) {
      const items = value.split(",");
      shown[name] =
        items.length > 1 ? `${items.slice(0, 3).join(",")},…(${items.length} ids)` : `${value.slice(0, 80)}…`;
    } else shown[name] = value;
  }
  return `${path}${decodeURIComponent(queryString(shown))}`;
}
