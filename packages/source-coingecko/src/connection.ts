import { type HealthStatus, type Logger, toQiError } from "@qicore/core/adapter";
import type { CoinGeckoApi } from "./api";
import type { CoinGeckoPlan } from "./plans";

export interface ConnectionParts {
  api: CoinGeckoApi;
  plan: CoinGeckoPlan;
  logger: Logger;
}

/**
 * Checks the host and the key with one call before the pipeline starts, so a wrong plan
 * fails at once with its fix. On `pro` without a configured rate it asks `/key` for the
 * key's own limit and adopts it.
 */
export async function connectCoinGecko(parts: ConnectionParts, signal?: AbortSignal): Promise<void> {
  if (parts.plan === "pro" && parts.api.budget.limitSource !== "configured") {
    if (await adoptKeyLimit(parts, signal)) return;
  }
  await parts.api.ping({ priority: "live", signal });
}

/**
 * Adopts the key's own limit from `/key`. A server without `/key` (a caching proxy, a
 * test server) keeps the default budget, with one warning: the limit is a convenience,
 * not a reason to refuse to start. True when `/key` answered (it also proved the key).
 */
async function adoptKeyLimit(parts: ConnectionParts, signal: AbortSignal | undefined): Promise<boolean> {
  const { api, logger, plan } = parts;
  let usage: Awaited<ReturnType<CoinGeckoApi["key"]>>["data"];
  try {
    usage = (await api.key({ priority: "live", signal })).data;
  } catch (thrown) {
    const error = toQiError(thrown);
    const status = error.context.status;
    if (status !== 404 && status !== 405 && status !== 501) throw error;
    logger.warn(
      `the server has no /key (HTTP ${status}); using ${api.budget.snapshot().callsPerMinute} calls per minute (set callsPerMinute to choose)`,
      { plan },
    );
    return false;
  }
  const limit = usage.api_key_rate_limit_request_per_minute ?? usage.rate_limit_request_per_minute;
  if (limit !== undefined && limit > 0) {
    api.budget.setRate(limit, "discovered");
    logger.info("using the key's rate limit from /key", { callsPerMinute: limit, plan: usage.plan });
  }
  return true;
}

/** One /ping: healthy with the budget's state, or unhealthy with why. */
export async function coinGeckoHealth(parts: ConnectionParts): Promise<HealthStatus> {
  try {
    const pong = (await parts.api.ping({ priority: "live" })).data;
    return {
      status: "healthy",
      message: pong.gecko_says,
      details: { plan: parts.plan, ...parts.api.budget.snapshot() },
    };
  } catch (thrown) {
    const error = toQiError(thrown);
    return { status: "unhealthy", message: error.message, details: { code: error.code, plan: parts.plan } };
  }
}
