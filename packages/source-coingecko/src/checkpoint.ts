import type { BackfillCursor } from "./backfill";

/**
 * The source's position, carried by every batch and committed by the runtime once the
 * targets wrote that batch: what each live stream last emitted (so a restart does not
 * emit it again) and the next range of each backfill.
 */
export interface CoinGeckoCheckpoint {
  v: 1;
  /** Coin → `last_updated` (epoch ms) of the newest price emitted. */
  prices?: Record<string, number>;
  pricesPolledAt?: number;
  /** Coin → open time of the newest final candle emitted, and the open candle last emitted. */
  ohlcv?: Record<string, { final?: number; open?: string }>;
  ohlcvPolledAt?: Record<string, number>;
  /** `updated_at` (epoch ms) of the newest /global figures emitted. */
  analytics?: number;
  analyticsPolledAt?: number;
  history?: BackfillCursor;
  ohlcvHistory?: BackfillCursor;
}

export function isCoinGeckoCheckpoint(value: unknown): value is CoinGeckoCheckpoint {
  return typeof value === "object" && value !== null && (value as { v?: unknown }).v === 1;
}

export const emptyCheckpoint = (): CoinGeckoCheckpoint => ({ v: 1 });
