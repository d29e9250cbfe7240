/**
 * The bounds every tool call is held to, so one call from an agent can neither read
 * the whole database nor keep it busy for long. The README's "Limits" section lists them.
 */
export const LIMITS = {
  /** Longest time range one query may cover. */
  maxRangeDays: 366,
  /** Most rows one query returns (prices, candles, analytics). */
  maxRows: 5_000,
  /** Rows a query returns when the call names no limit. */
  defaultRows: 1_000,
  /** Most candles one get_ohlcv call may ask for: the range divided by the width. */
  maxBuckets: 5_000,
  /** Most coins one get_current_prices call may name. */
  maxCoins: 50,
  /** Most records one store_prices / store_ohlcv call may carry. */
  maxStoreRecords: 1_000,
  /** Longest pipeline text validate_pipeline accepts, in characters. */
  maxPipelineTextLength: 65_536,
  /** Most coins pipeline_status reports (newest stored data per coin and exchange). */
  maxStatusCoins: 200,
  /** Most problems one error result lists (the rest are counted). */
  maxListedProblems: 20,
} as const;

export const DAY_MS = 86_400_000;
