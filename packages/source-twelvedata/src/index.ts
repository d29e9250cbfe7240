import { registerAdapter } from "@qicore/core/adapter";
import { twelvedataSource } from "./source";

export type { BackfillCursor, TwelveDataCheckpoint } from "./checkpoint";
export { type Clock, createCompressedClock, createManualClock, systemClock } from "./clock";
export { type TwelveDataConfig, type TwelveDataConfigInput, twelvedataConfigSchema } from "./config";
export {
  CreditBudget,
  type CreditBudgetSnapshot,
  CreditBudgets,
  type CreditGrant,
  type CreditLimits,
  type LimitSource,
  type LiveDemand,
  type Priority,
  sharedCreditBudgets,
} from "./credit-budget";
export type { TwelveDataErrorCode } from "./errors";
export { INTERVALS, type Interval } from "./intervals";
export { ATTRIBUTION, SOURCE_NAME } from "./mappers";
export { KEY_VARIABLE, PLAN_DEFAULTS, TWELVEDATA_PLANS, type TwelveDataPlan } from "./plans";
export { createTwelveDataSource, type TwelveDataSourceOptions, twelvedataSource } from "./source";

// Importing the package makes `type: twelvedata` available to pipeline files.
registerAdapter(twelvedataSource);
