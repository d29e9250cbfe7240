import type { CreditLimits } from "./credit-budget";

/** Twelve Data's individual plans. Basic is the free one. */
export const TWELVEDATA_PLANS = ["basic", "grow", "pro", "ultra", "enterprise"] as const;
export type TwelveDataPlan = (typeof TWELVEDATA_PLANS)[number];

export const DEFAULT_BASE_URL = "https://api.twelvedata.com";
export const KEY_VARIABLE = "TWELVEDATA_API_KEY";

/**
 * Credits used when neither the config nor `/api_usage` gives the key's limits. Twelve Data
 * counts credits per minute on every plan; only Basic also has a daily cap (800, reset at
 * midnight UTC: its changelog "Clarifies API credit limits in the docs"). Paid plans come in
 * tiers, so these are the lowest tier of each: a budget too low only slows polling, one too
 * high earns 429s. `/api_usage` (`plan_limit`, and on Basic `plan_daily_limit`) replaces them
 * at start.
 */
export const PLAN_DEFAULTS: Readonly<Record<TwelveDataPlan, CreditLimits>> = {
  basic: { perMinute: 8, perDay: 800 },
  grow: { perMinute: 55, perDay: undefined },
  pro: { perMinute: 610, perDay: undefined },
  ultra: { perMinute: 2584, perDay: undefined },
  enterprise: { perMinute: 2584, perDay: undefined },
};

export interface ResolvedKey {
  apiKey: string | undefined;
  /** Where the key came from, for messages (`config`, `TWELVEDATA_API_KEY`); never the key. */
  keySource: string | undefined;
}

/** The config's `apiKey`, else `TWELVEDATA_API_KEY`. */
export function resolveKey(apiKey: string | undefined, env: Record<string, string | undefined>): ResolvedKey {
  const configured = apiKey?.trim();
  if (configured) return { apiKey: configured, keySource: "config" };
  const fromEnv = env[KEY_VARIABLE]?.trim();
  if (fromEnv) return { apiKey: fromEnv, keySource: KEY_VARIABLE };
  return { apiKey: undefined, keySource: undefined };
}
