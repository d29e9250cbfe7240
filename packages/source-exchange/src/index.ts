import { registerAdapter } from "@qicore/core/adapter";
import { exchangeSource } from "./source";

export type { ExchangeCheckpoint } from "./checkpoint";
export { type Clock, frozenClock, systemClock } from "./clock";
export { KNOWN_COIN_IDS } from "./coin-ids";
export {
  CHANNELS,
  type Channel,
  EXCHANGES,
  type ExchangeConfig,
  type ExchangeConfigInput,
  type ExchangeName,
  exchangeConfigSchema,
} from "./config";
export type { ExchangeErrorCode } from "./errors";
export type { Instrument } from "./instruments";
export type { ExchangeReader, ReaderStats } from "./reader";
export { createExchangeSource, type ExchangeSourceOptions, exchangeSource } from "./source";

// Importing the package makes `type: exchange` available to pipeline files.
registerAdapter(exchangeSource);
