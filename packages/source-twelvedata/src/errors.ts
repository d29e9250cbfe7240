import { type QiError, qiError } from "@qicore/core/adapter";

/**
 * Codes this adapter raises besides the core's (`RATE_LIMITED`, `TIMEOUT`, `NETWORK_ERROR`,
 * `EXTERNAL_ERROR`, `CONFIG_INVALID`, `CANCELLED`).
 */
export type TwelveDataErrorCode =
  /** 401: the key is wrong, revoked or missing. */
  | "TWELVEDATA_UNAUTHORIZED"
  /** 403: the endpoint or the symbol is not part of the key's plan. */
  | "TWELVEDATA_PLAN_RESTRICTED"
  /** 400 / 414: a symbol, interval or date Twelve Data does not take, or too many symbols. */
  | "TWELVEDATA_BAD_REQUEST"
  /** 400 "No data is available on the specified dates": an empty range, not a failure. */
  | "TWELVEDATA_NO_DATA"
  /** The day's credits (Basic plan) are spent: a 429 for the day, or a backfill that would eat the live polls' share. */
  | "TWELVEDATA_DAILY_CREDITS_SPENT";

const SOURCE = "twelvedata source";

export interface RequestFacts {
  /** Method, path and query as messages show them: never a key (keys travel in a header). */
  request: string;
  /** Where the key came from (`config`, `TWELVEDATA_API_KEY`), never the key. */
  keySource: string | undefined;
  plan: string;
  /** The symbol an error of a batch answer belongs to. */
  symbol?: string | undefined;
}

/**
 * The QiError for one of Twelve Data's error answers (`{"code": 400, "message": ..., "status":
 * "error"}`, with HTTP 200 or with the code itself), saying what to change.
 */
export function apiError(code: number, apiMessage: string | undefined, facts: RequestFacts): QiError {
  const said = apiMessage ? ` (Twelve Data: "${apiMessage}")` : "";
  const subject = facts.symbol ? `${facts.symbol} in ${facts.request}` : facts.request;
  const context = {
    code,
    request: facts.request,
    plan: facts.plan,
    ...(facts.symbol ? { symbol: facts.symbol } : {}),
  };
  if (code === 401)
    return qiError(
      "TWELVEDATA_UNAUTHORIZED",
      `${SOURCE}: Twelve Data refused ${facts.keySource ? `the key from ${facts.keySource}` : "the request: no key was sent"} for ${facts.request}: check apiKey or TWELVEDATA_API_KEY${said}`,
      { category: "SECURITY", context },
    );
  if (code === 403)
    return qiError(
      "TWELVEDATA_PLAN_RESTRICTED",
      `${SOURCE}: ${subject} is not included in plan ${facts.plan}: remove the instrument or stream that needs it, or use a key of a larger plan${said}`,
      { category: "SECURITY", context },
    );
  if (code === 400 && apiMessage && /no data is available/i.test(apiMessage))
    return qiError("TWELVEDATA_NO_DATA", `${SOURCE}: ${subject} has no data in the range asked for${said}`, {
      category: "EXTERNAL",
      context,
    });
  if (code === 400)
    return qiError(
      "TWELVEDATA_BAD_REQUEST",
      `${SOURCE}: Twelve Data refused ${subject}: check the symbol (and its exchange or micCode) and the interval${said}`,
      { category: "VALIDATION", context },
    );
  if (code === 414)
    return qiError(
      "TWELVEDATA_BAD_REQUEST",
      `${SOURCE}: ${facts.request} is too long for Twelve Data: lower symbolsPerRequest${said}`,
      { category: "VALIDATION", context },
    );
  if (code >= 500)
    // EXTERNAL errors are not retryable by default; Twelve Data's own failures may pass.
    return qiError(
      "EXTERNAL_ERROR",
      `${SOURCE}: ${subject} failed on Twelve Data's side (code ${code})${said}`,
      {
        retryable: true,
        context,
      },
    );
  return qiError("EXTERNAL_ERROR", `${SOURCE}: Twelve Data refused ${subject} (code ${code})${said}`, {
    context,
  });
}

/** True for a 429 that is about the day's credits rather than the minute's. */
export function isDailyLimit(apiMessage: string | undefined): boolean {
  return apiMessage !== undefined && /for the day|per day|daily/i.test(apiMessage);
}

export function rateLimitedError(request: string, attempts: number, apiMessage: string | undefined): QiError {
  return qiError(
    "RATE_LIMITED",
    `${SOURCE}: ${request} was refused for the minute's credits ${attempts} time(s), each time after waiting for the next minute${apiMessage ? ` (Twelve Data: "${apiMessage}")` : ""}. Another program may use the same key: lower creditsPerMinute, or use a key of a larger plan`,
    { context: { request, attempts } },
  );
}

export function dailySpentError(request: string, resetsAt: number, apiMessage: string | undefined): QiError {
  return qiError(
    "TWELVEDATA_DAILY_CREDITS_SPENT",
    `${SOURCE}: ${request}: Twelve Data says today's credits are spent${apiMessage ? ` ("${apiMessage}")` : ""}; they come back at ${new Date(resetsAt).toISOString()} (midnight UTC). Another program may use the same key: lower creditsPerDay, or use a paid plan (no daily cap)`,
    { category: "BUSINESS", context: { request, resetsAt: new Date(resetsAt).toISOString() } },
  );
}

export function configError(message: string, context: Record<string, unknown> = {}): QiError {
  return qiError("CONFIG_INVALID", `${SOURCE}: ${message}`, { context });
}

export function cancelled(request: string): QiError {
  return qiError("CANCELLED", `${SOURCE}: ${request} was cancelled`, { context: { request } });
}

/** True for errors a later poll cannot fix (a wrong key, a plan restriction, a bad config). */
export function isPermanent(error: QiError): boolean {
  return error.category === "SECURITY" || error.category === "VALIDATION" || error.code === "CANCELLED";
}
