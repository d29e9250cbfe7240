import { registerAdapter } from "@qicore/core/adapter";
import { coingeckoSource } from "./source";

export { IDS_PER_REQUEST } from "./api";
export type { BackfillCursor } from "./backfill";
export { type CandleWidth, ohlcWidth } from "./candles";
export type { CoinGeckoCheckpoint } from "./checkpoint";
export { type Clock, createCompressedClock, createManualClock, systemClock } from "./clock";
export { type CoinGeckoConfig, type CoinGeckoConfigInput, coingeckoConfigSchema } from "./config";
export type { CoinGeckoErrorCode } from "./errors";
export { ATTRIBUTION, SOURCE_NAME } from "./mappers";
export { type CoinGeckoPlan, KEY_VARIABLES, PLAN_PROFILES, type PlanProfile, resolvePlan } from "./plans";
export type { ProgressStream } from "./progress";
export {
  type LimitSource,
  type Permit,
  type Priority,
  RateBudget,
  type RateBudgetSnapshot,
  RateBudgets,
  sharedRateBudgets,
  type WaitStatistics,
} from "./rate-budget";
export { type CoinGeckoSourceOptions, coingeckoSource, createCoinGeckoSource } from "./source";

// Importing the package makes `type: coingecko` available to pipeline files.
registerAdapter(coingeckoSource);
