import { QiError } from "@qicore/core/adapter";

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
  return new QiError({
    code: "CONFIG_INVALID",
    message: `exchange source: ${message}`,
    category: "VALIDATION",
    retryable: false,
    context,
  });
}

export function subscriptionRefused(exchange: string, message: string, url: string): QiError {
  return new QiError({
    code: "EXCHANGE_SUBSCRIPTION_REFUSED",
    message: `${exchange} refused the subscription: ${message}. Check the symbols (the exchange's own spelling) and channels in the pipeline file`,
    category: "EXTERNAL",
    retryable: false,
    context: { exchange, url },
  });
}

/** A passing REST failure (connection, 5xx): the runtime reads again from the last checkpoint. */
export function restUnavailable(exchange: string, url: string, cause: unknown, status?: number): QiError {
  return new QiError({
    code: "NETWORK_ERROR",
    message: `${exchange} REST ${url} failed${status ? ` with HTTP ${status}` : ""}: ${cause instanceof Error ? cause.message : String(cause)}; reading again from the last checkpoint`,
    category: "NETWORK",
    retryable: true,
    context: { exchange, url, status },
    cause,
  });
}

export function badResponse(exchange: string, url: string, detail: string, status?: number): QiError {
  return new QiError({
    code: "EXCHANGE_BAD_RESPONSE",
    message: `${exchange} REST ${url}: ${detail}`,
    category: "EXTERNAL",
    retryable: status === undefined || status >= 500,
    context: { exchange, url, status },
  });
}
