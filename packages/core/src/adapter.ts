/**
 * `@qicore/core/adapter`: the adapter contract, all an adapter package needs and all it may
 * rely on. It changes only with the contract version (ADAPTER_CONTRACT_VERSION); the runtime
 * behind it (`@qicore/core`) can change freely. Every name is listed here on purpose; a test
 * snapshots the list, so any change is a visible diff in review.
 */

// Declaring an adapter: the definition, its handlers, and what the runtime hands them.
export { defineProcessor, defineSource, defineTarget, parseAdapterConfig } from "./adapters/define";
export type {
  ProcessorHandlers,
  ProcessorOutput,
  ProcessorRejection,
  RecordBatch,
} from "./adapters/processor-types";
// Reading a store back: a target's reader capability (`openReader`).
export type {
  ExchangeFilter,
  PriceCandle,
  ReaderContext,
  ReadLimit,
  StoreReader,
} from "./adapters/reader-types";
export {
  ADAPTER_CONTRACT_VERSION,
  type AdapterCapabilities,
  type AdapterContext,
  type AdapterDefinition,
  type Checkpoint,
  type DeadLetter,
  type HealthStatus,
  type OHLCVQuery,
  type ProcessorDefinition,
  type ReadOptions,
  type RecordFailure,
  type SourceBatch,
  type SourceDefinition,
  type SourceHandlers,
  type StateStore,
  type TargetDefinition,
  type TargetHandlers,
  type TimeRange,
  type WriteOutcome,
} from "./adapters/types";
// What the records generate that adapters use: DDL, topic configs, schema ids.
export { recordJsonSchema, recordSchemaId, type SchemaIo } from "./dsl/generate/json-schema";
export { type SqlEdition, tableStatements } from "./dsl/generate/sql";
export { generateTopicConfigs, type TopicConfig, type TopicConfigEntry } from "./dsl/generate/topics";
// The records: kinds, their schemas and types, and where they are stored and streamed.
export { DEFAULT_ASSET_CLASS, DEFAULT_QUOTE } from "./dsl/instrument";
export {
  ANALYTICS_KIND,
  isRecordKind,
  type MarketRecord,
  OHLCV_KIND,
  PRICE_KIND,
  QUOTE_KIND,
  RECORD_KIND_DEFINITIONS,
  RECORD_KINDS,
  type RecordKind,
  type RecordKindDefinition,
  type RecordOfKind,
  type TopicDefaults,
  TRADE_KIND,
} from "./dsl/kinds";
export {
  AGGREGATE_EXCHANGE,
  type CryptoMarketAnalytics,
  type CryptoMarketAnalyticsInput,
  CryptoMarketAnalyticsSchema,
  type CryptoOHLCV,
  type CryptoOHLCVInput,
  CryptoOHLCVSchema,
  type CryptoPrice,
  type CryptoPriceInput,
  CryptoPriceSchema,
  type CryptoQuote,
  type CryptoQuoteInput,
  CryptoQuoteSchema,
  type CryptoTrade,
  type CryptoTradeInput,
  CryptoTradeSchema,
  Timeframe,
  TradeSide,
} from "./dsl/records";
export { type ColumnModel, type TableModel, tableModel } from "./dsl/table-model";
export {
  describeIssues,
  type FieldIssue,
  type InvalidRecord,
  validateParsedRecord,
  validateRecord,
  validateRecords,
} from "./dsl/validate";
// Errors and results.
export {
  type CoreErrorCode,
  type ErrorCategory,
  type ErrorCode,
  QiError,
  type QiErrorOptions,
  qiError,
  toQiError,
  validationError,
} from "./errors/qi-error";
export { redactSecrets } from "./errors/redact";
// Registering: importing an adapter package registers it; embedders build their own registry.
export { AdapterRegistry, createRegistry, registerAdapter } from "./registry/registry";
export {
  type AsyncResult,
  andThen,
  type Err,
  err,
  isErr,
  isOk,
  map,
  mapErr,
  match,
  type Ok,
  ok,
  type Result,
  ResultAsync,
  tryCatch,
  unwrap,
  unwrapOr,
} from "./result/result";

// Small helpers adapters share, so none keeps a copy.
export { type Logger, type LogLevel, silentLogger } from "./runtime/logger";
export { abortableSleep } from "./runtime/retry";
export { parseDuration } from "./util/duration";
export { CORE_VERSION } from "./version";
