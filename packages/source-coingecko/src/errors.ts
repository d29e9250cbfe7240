import { QiError, qiError } from "@qicore/core/adapter";
import type { CoinGeckoPlan } from "./plans";

/**
 * Codes this adapter raises besides the core's (`RATE_LIMITED`, `TIMEOUT`, `NETWORK_ERROR`,
 * `EXTERNAL_ERROR`, `CONFIG_INVALID`, `CANCELLED`).
 */
export type CoinGeckoErrorCode =
  /** 10002: no key was sent where one is needed. */
  | "COINGECKO_KEY_MISSING"
  /** 10010 / 10011: a key of one plan was sent to the other plan's host. */
  | "COINGECKO_WRONG_PLAN"
  /** 10005 / 10012: the endpoint or time range is not part of the key's plan. */
  | "COINGECKO_PLAN_RESTRICTED"
  /** Any other refusal of the key (revoked, mistyped). */
  | "COINGECKO_UNAUTHORIZED";

export interface RequestFacts {
  /** The request path with its query, never with a key (keys travel in headers only). */
  url: string;
  plan: CoinGeckoPlan;
  keySource: string | undefined;
}

const SOURCE = "coingecko source";

/**
 * The QiError for a 401/403 carrying CoinGecko's `status.error_code`, with a message that
 * says what to change in the config.
 */
export function authError(
  status: number,
  errorCode: number | undefined,
  apiMessage: string | undefined,
  facts: RequestFacts,
): QiError {
  const said = apiMessage ? ` (CoinGecko: "${apiMessage}")` : "";
  const key = facts.keySource ? `the key from ${facts.keySource}` : "no key";
  const base = { category: "SECURITY" as const, retryable: false };
  const context = { status, errorCode, url: facts.url, plan: facts.plan, keySource: facts.keySource };
  switch (errorCode) {
    case 10002:
      return new QiError({
        ...base,
        code: "COINGECKO_KEY_MISSING",
        message: `${SOURCE}: GET ${facts.url} needs an API key but ${key} was sent (plan ${facts.plan}): set apiKey, or COINGECKO_DEMO_API_KEY / COINGECKO_PRO_API_KEY, or use plan: public without a key on the public host${said}`,
        context,
      });
    case 10010:
      return new QiError({
        ...base,
        code: "COINGECKO_WRONG_PLAN",
        message: `${SOURCE}: a Pro key was sent to the Demo URL: set plan: pro (it uses https://pro-api.coingecko.com/api/v3 and the x-cg-pro-api-key header)${said}`,
        context,
      });
    case 10011:
      return new QiError({
        ...base,
        code: "COINGECKO_WRONG_PLAN",
        message: `${SOURCE}: a Demo key was sent to the Pro URL: set plan: demo (it uses https://api.coingecko.com/api/v3 and the x-cg-demo-api-key header)${said}`,
        context,
      });
    case 10005:
      return new QiError({
        ...base,
        code: "COINGECKO_PLAN_RESTRICTED",
        message: `${SOURCE}: GET ${facts.url} is not included in your plan (${facts.plan}): remove the stream or option that needs it, or use a paid key with plan: pro${said}`,
        context,
      });
    case 10012:
      return new QiError({
        ...base,
        code: "COINGECKO_PLAN_RESTRICTED",
        message: `${SOURCE}: GET ${facts.url} asks for history further back than plan ${facts.plan} allows (Demo and keyless: the past 365 days): move the backfill's from forward, or use a paid key with plan: pro${said}`,
        context,
      });
    default:
      return new QiError({
        ...base,
        code: "COINGECKO_UNAUTHORIZED",
        message: `${SOURCE}: CoinGecko refused ${key} for GET ${facts.url} (HTTP ${status}${errorCode ? `, error ${errorCode}` : ""}): check the key and that plan ${facts.plan} matches it${said}`,
        context,
      });
  }
}

export function rateLimitedError(url: string, waitMs: number, reason: string, attempts: number): QiError {
  return qiError(
    "RATE_LIMITED",
    `${SOURCE}: GET ${url} was rate limited ${attempts} time(s) (${reason}); waited ${Math.round(waitMs / 1000)} s each time as told. Lower callsPerMinute or the polling rate, or use a key with a larger plan`,
    { context: { url, attempts } },
  );
}

export function configError(message: string, context: Record<string, unknown> = {}): QiError {
  return qiError("CONFIG_INVALID", `${SOURCE}: ${message}`, { context });
}

export function cancelled(url: string): QiError {
  return qiError("CANCELLED", `${SOURCE}: GET ${url} was cancelled`, { context: { url } });
}

/** True for errors a later poll cannot fix (a wrong key, a plan restriction, a bad config). */
export function isPermanent(error: QiError): boolean {
  return error.category === "SECURITY" || error.category === "VALIDATION" || error.code === "CANCELLED";
}
