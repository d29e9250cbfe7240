import {
  ADAPTER_CONTRACT_VERSION,
  type AdapterContext,
  defineSource,
  type SourceDefinition,
  type SourceHandlers,
} from "@qicore/core/adapter";
import { type Clock, systemClock } from "./clock";
import { type TwelveDataConfig, twelvedataConfigSchema } from "./config";
import { type CreditBudgets, sharedCreditBudgets } from "./credit-budget";
import { configError } from "./errors";
import { TwelveDataHttpClient } from "./http-client";
import { DEFAULT_BASE_URL, KEY_VARIABLE, PLAN_DEFAULTS, resolveKey } from "./plans";
import { TwelveDataReader } from "./reader";

/** Parts a test or an embedding application may replace. */
export interface TwelveDataSourceOptions {
  /** Time for the credit budget, its waits, candles' `isFinal` and backfill ends (tests run a day in seconds). */
  clock?: Clock;
  /** Credit budgets to share credits in; the process-wide ones when absent. */
  budgets?: CreditBudgets;
  /** Environment to read the key from; process.env when absent. */
  env?: Record<string, string | undefined>;
  /** fetch implementation; the global one (Node's undici) when absent. */
  fetch?: typeof fetch;
}

/**
 * Builds the Twelve Data source definition. The package registers `twelvedataSource`, made
 * with the defaults; call this for one with a test clock, private budgets or a custom fetch.
 */
export function createTwelveDataSource(
  options: TwelveDataSourceOptions = {},
): SourceDefinition<TwelveDataConfig> {
  return defineSource({
    name: "twelvedata",
    description:
      "Twelve Data quotes and candles of stocks, forex and crypto (1 minute to 1 month), batched, with paged backfills and one credit budget per API key.",
    contractVersion: ADAPTER_CONTRACT_VERSION,
    coreVersion: "^0.1.0",
    configSchema: twelvedataConfigSchema,
    capabilities: { kinds: ["price", "ohlcv"], replay: true, bounded: true },
    create: (config, context) => createHandlers(config, context, options),
  });
}

/** The source `type: twelvedata` names in pipeline files. */
export const twelvedataSource: SourceDefinition<TwelveDataConfig> = createTwelveDataSource();

function createHandlers(
  config: TwelveDataConfig,
  context: AdapterContext,
  options: TwelveDataSourceOptions,
): SourceHandlers {
  const clock = options.clock ?? systemClock;
  const { apiKey, keySource } = resolveKey(config.apiKey, options.env ?? process.env);
  if (!apiKey)
    throw configError(
      `Twelve Data needs an API key (the free Basic plan has one): set apiKey or ${KEY_VARIABLE}`,
      {
        source: context.id,
      },
    );
  const budget = (options.budgets ?? sharedCreditBudgets()).budgetFor({
    plan: config.plan,
    apiKey,
    configured:
      config.creditsPerMinute !== undefined || config.creditsPerDay !== undefined
        ? { perMinute: config.creditsPerMinute, perDay: config.creditsPerDay }
        : undefined,
    defaults: PLAN_DEFAULTS[config.plan],
    clock,
  });
  const logger = context.logger;
  const http = new TwelveDataHttpClient({
    baseUrl: config.baseUrl ?? DEFAULT_BASE_URL,
    apiKey,
    keySource,
    plan: config.plan,
    timeoutMs: config.timeout,
    retries: config.retries,
    budget,
    clock,
    logger,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const reader = new TwelveDataReader({
    config,
    sourceId: `${context.pipelineName}/${context.id}`,
    http,
    clock,
    logger,
  });
  logger.debug("twelvedata source created", {
    plan: config.plan,
    baseUrl: config.baseUrl ?? DEFAULT_BASE_URL,
    keySource,
    budget: budget.description,
    creditsPerMinute: budget.perMinute,
    creditsPerDay: budget.perDay,
  });
  return {
    connect: () => reader.connect(context.signal),
    healthCheck: () => reader.healthCheck(),
    read: (readOptions) => reader.read(readOptions),
    getCurrentPrices: (ids) => reader.getCurrentPrices(ids),
    getOHLCV: (id, query) => reader.getOHLCV(id, query),
  };
}
