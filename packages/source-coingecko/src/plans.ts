/** CoinGecko's API plans: which host they use, how the key is sent, how fast they may be called. */
export type CoinGeckoPlan = "public" | "demo" | "pro";

export const COINGECKO_PLANS = ["public", "demo", "pro"] as const;

export interface PlanProfile {
  baseUrl: string;
  /** Header carrying the key; none for the keyless public API. */
  keyHeader: "x-cg-demo-api-key" | "x-cg-pro-api-key" | undefined;
  /**
   * Calls per minute used when the config gives none. Deliberately the low end of what
   * CoinGecko documents, because a budget set too low only slows polling while one set too
   * high earns 429s: keyless access is limited per IP at "5 to 15" calls a minute depending
   * on traffic; Demo keys at 30 (CoinGecko's error page lately says 100, its pricing page 30);
   * paid keys at 250 (Basic) to 1000 (Pro), so on `pro` the source asks `/key` for the key's
   * real limit when none is configured.
   */
  defaultCallsPerMinute: number;
  /** How far back history goes on this plan (Demo and keyless: the past 365 days). */
  historyLimitDays: number | undefined;
}

export const PLAN_PROFILES: Readonly<Record<CoinGeckoPlan, PlanProfile>> = {
  public: {
    baseUrl: "https://api.coingecko.com/api/v3",
    keyHeader: undefined,
    defaultCallsPerMinute: 5,
    historyLimitDays: 365,
  },
  demo: {
    baseUrl: "https://api.coingecko.com/api/v3",
    keyHeader: "x-cg-demo-api-key",
    defaultCallsPerMinute: 30,
    historyLimitDays: 365,
  },
  pro: {
    baseUrl: "https://pro-api.coingecko.com/api/v3",
    keyHeader: "x-cg-pro-api-key",
    defaultCallsPerMinute: 250,
    historyLimitDays: undefined,
  },
};

/** Environment variables read for the key, in order, per plan (the config's `apiKey` wins over all). */
export const KEY_VARIABLES: Readonly<Record<CoinGeckoPlan, readonly string[]>> = {
  public: [],
  demo: ["COINGECKO_DEMO_API_KEY", "COINGECKO_API_KEY"],
  pro: ["COINGECKO_PRO_API_KEY", "COINGECKO_API_KEY"],
};

export interface ResolvedPlan {
  plan: CoinGeckoPlan;
  apiKey: string | undefined;
  /** Where the key came from, for messages (`config`, `COINGECKO_PRO_API_KEY`); never the key. */
  keySource: string | undefined;
}

/**
 * The plan and key to use. An explicit `plan` takes its key from `apiKey` or its variables.
 * Without one: a Pro variable means `pro`; any other key means `demo` (the free key most
 * people have; a Pro key sent there gets error 10010, whose message says to set `plan: pro`);
 * no key at all means the keyless `public` API.
 */
export function resolvePlan(
  plan: CoinGeckoPlan | undefined,
  apiKey: string | undefined,
  env: Record<string, string | undefined>,
): ResolvedPlan {
  const fromEnv = (names: readonly string[]) => {
    for (const name of names) {
      const value = env[name]?.trim();
      if (value) return { apiKey: value, keySource: name };
    }
    return undefined;
  };
  const configured = apiKey?.trim() ? { apiKey: apiKey.trim(), keySource: "config" } : undefined;
  if (plan === "public") return { plan, apiKey: undefined, keySource: undefined };
  if (plan) {
    const found = configured ?? fromEnv(KEY_VARIABLES[plan]);
    return { plan, apiKey: found?.apiKey, keySource: found?.keySource };
  }
  if (configured) return { plan: "demo", ...configured };
  const pro = fromEnv(["COINGECKO_PRO_API_KEY"]);
  if (pro) return { plan: "pro", ...pro };
  const demo = fromEnv(KEY_VARIABLES.demo);
  if (demo) return { plan: "demo", ...demo };
  return { plan: "public", apiKey: undefined, keySource: undefined };
}
