import { type QiError, qiError } from "@qicore/core/adapter";

/**
 * Codes this adapter raises besides the core's (`NETWORK_ERROR`, `RATE_LIMITED`,
 * `EXTERNAL_ERROR`, `CONFIG_INVALID`).
 */
export type ExchangeErrorCode =
  /** The exchange refused a subscription (an unknown symbol, a channel it does not have). */
  | "EXCHANGE_SUBSCRIPTION_REFUSED"
  /** The exchange's REST API answered something this source cannot read. */
  | "EXCHANGE_BAD_RESPONSE";

export function configError(message: string, context: Record<string, unknown> = {}): QiError {
  return qiError("CONFIG_INVALID", `exchange source: ${message}`, { context });
}

export function subscriptionRefused(exchange: string, message: string, url: string): QiError {
  return qiError(
    "EXCHANGE_SUBSCRIPTION_REFUSED",
    `${exchange} refused the subscription: ${message}. Check the symbols (the exchange's own spelling) and channels in the pipeline file`,
    { category: "EXTERNAL", context: { exchange, url } },
  );
}

/** A passing REST failure (connection, 5xx): the runtime reads again from the last checkpoint. */
export function restUnavailable(exchange: string, url: string, cause: unknown, status?: number): QiError {
  // NETWORK_ERROR is a NETWORK error, and those are retryable.
  return qiError(
    "NETWORK_ERROR",
    `${exchange} REST ${url} failed${status ? ` with HTTP ${status}` : ""}: ${cause instanceof Error ? cause.message : String(cause)}; reading again from the last checkpoint`,
    { context: { exchange, url, status }, cause },
  );
}

export function badResponse(exchange: string, url: string, detail: string, status?: number): QiError {
  return qiError("EXCHANGE_BAD_RESPONSE", `${exchange} REST ${url}: ${detail}`, {
    category: "EXTERNAL",
    retryable: status === undefined || status >= 500,
    context: { exchange, url, status },
  });
}
