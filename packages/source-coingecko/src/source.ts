import {
  ADAPTER_CONTRACT_VERSION,
  type AdapterContext,
  defineSource,
  type SourceDefinition,
  type SourceHandlers,
} from "@qicore/core/adapter";
import { DAY_MS } from "./candles";
import { type Clock, systemClock } from "./clock";
import { type CoinGeckoConfig, coingeckoConfigSchema, paidOnlyProblems } from "./config";
import { configError } from "./errors";
import { CoinGeckoHttpClient } from "./http-client";
import { KEY_VARIABLES, PLAN_PROFILES, resolvePlan } from "./plans";
import { BackfillProgress, type ProgressStream, progressStream } from "./progress";
import { type RateBudgets, sharedRateBudgets } from "./rate-budget";
import { CoinGeckoReader } from "./reader";

/** Parts a test or an embedding application may replace. */
export interface CoinGeckoSourceOptions {
  /** Time for rate budgets, waits and backfill ranges (tests run hours in seconds). */
  clock?: Clock;
  /** Rate budgets to share calls in; the process-wide ones when absent. */
  budgets?: RateBudgets;
  /** Environment to read keys from; process.env when absent. */
  env?: Record<string, string | undefined>;
  /** fetch implementation; the global one (Node's undici) when absent. */
  fetch?: typeof fetch;
  /** Where the backfill progress bar goes (standard error when absent). */
  stderr?: ProgressStream;
}

/**
 * Builds the CoinGecko source definition. The package registers `coingeckoSource`, made with
 * the defaults; call this to get one with a test clock, private rate budgets or a custom fetch.
 */
export function createCoinGeckoSource(
  options: CoinGeckoSourceOptions = {},
): SourceDefinition<CoinGeckoConfig> {
  return defineSource({
    name: "coingecko",
    description:
      "CoinGecko prices (listed coins or top N), OHLC candles, price and candle backfills and /global market analytics, on the public, Demo or Pro API.",
    contractVersion: ADAPTER_CONTRACT_VERSION,
    coreVersion: "^0.1.0",
    configSchema: coingeckoConfigSchema,
    capabilities: { kinds: ["price", "ohlcv", "analytics"], replay: true, bounded: true },
    create: (config, context) => createHandlers(config, context, options),
  });
}

/** The source `type: coingecko` names in pipeline files. */
export const coingeckoSource: SourceDefinition<CoinGeckoConfig> = createCoinGeckoSource();

function createHandlers(
  config: CoinGeckoConfig,
  context: AdapterContext,
  options: CoinGeckoSourceOptions,
): SourceHandlers {
  const clock = options.clock ?? systemClock;
  const env = options.env ?? process.env;
  const resolved = resolvePlan(config.plan, config.apiKey, env);
  const profile = PLAN_PROFILES[resolved.plan];
  const problems = paidOnlyProblems(config, resolved.plan).map((problem) => problem.message);
  if (resolved.plan !== "public" && !resolved.apiKey) {
    problems.push(
      `plan ${resolved.plan} needs an API key: set apiKey or ${KEY_VARIABLES[resolved.plan].join(" or ")}, or use plan: public (keyless)`,
    );
  }
  const historyLimit = profile.historyLimitDays;
  for (const name of ["history", "ohlcvHistory"] as const) {
    const from = config.streams[name]?.from;
    if (historyLimit !== undefined && from !== undefined && from < clock.now() - historyLimit * DAY_MS) {
      problems.push(
        `streams.${name}.from (${new Date(from).toISOString().slice(0, 10)}) is more than ${historyLimit} days ago, further back than plan ${resolved.plan} serves (CoinGecko answers error 10012): start on or after ${new Date(clock.now() - historyLimit * DAY_MS + DAY_MS).toISOString().slice(0, 10)}, or use a paid key with plan: pro`,
      );
    }
  }
  if (problems.length > 0)
    throw configError(problems.join("; "), { source: context.id, plan: resolved.plan });

  const budget = (options.budgets ?? sharedRateBudgets()).budgetFor({
    plan: resolved.plan,
    apiKey: resolved.apiKey,
    callsPerMinute: config.callsPerMinute,
    defaultCallsPerMinute: profile.defaultCallsPerMinute,
    clock,
  });
  const logger = context.logger;
  const http = new CoinGeckoHttpClient({
    baseUrl: config.baseUrl ?? profile.baseUrl,
    plan: resolved.plan,
    apiKey: resolved.apiKey,
    keyHeader: profile.keyHeader,
    keySource: resolved.keySource,
    timeoutMs: config.timeout,
    retries: config.retries,
    budget,
    clock,
    logger,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const reader = new CoinGeckoReader({
    config,
    plan: resolved.plan,
    http,
    clock,
    logger,
    progress: new BackfillProgress(progressStream(config.progress, options.stderr), logger),
  });
  logger.debug("coingecko source created", {
    plan: resolved.plan,
    baseUrl: config.baseUrl ?? profile.baseUrl,
    keySource: resolved.keySource ?? "none",
    budget: budget.description,
    callsPerMinute: budget.callsPerMinute,
  });
  return {
    connect: () => reader.connect(context.signal),
    healthCheck: () => reader.healthCheck(),
    read: (readOptions) => reader.read(readOptions),
    getCurrentPrices: (coinIds) => reader.getCurrentPrices(coinIds),
    getOHLCV: (coinId, query) => reader.getOHLCV(coinId, query),
    getPriceHistory: (coinId, range) => reader.getPriceHistory(coinId, range),
    getMarketAnalytics: () => reader.getMarketAnalytics(),
  };
}
