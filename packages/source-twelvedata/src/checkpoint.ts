import type { LearnedIdentity } from "./instruments";

/** Where a backfill stands: which instrument, from when the next window starts. */
export interface BackfillCursor {
  /** The backfill's config (instruments, interval, from, to) it belongs to; another config starts over. */
  shape: string;
  /** End of the backfill (exclusive): the config's `to`, or the time of the first run. */
  to: number;
  /** Index of the instrument being backfilled. */
  index: number;
  /** Start of the next window of that instrument. */
  next: number;
  done: boolean;
}

/**
 * The source's position, carried by every batch and committed by the runtime once the targets
 * wrote that batch: what each live stream last emitted (so a restart does not emit it again),
 * what each instrument's answers said about it (so its records keep one identity), and the
 * backfill's next window.
 */
export interface TwelveDataCheckpoint {
  v: 1;
  /** Instrument key → exchange id, quote and time zone learned from Twelve Data's answers. */
  identities?: Record<string, LearnedIdentity>;
  /** Instrument key → `lastUpdated` (epoch ms) of the newest price emitted. */
  quotes?: Record<string, number>;
  /** Instrument key → the last /price value emitted (it has no time of its own). */
  prices?: Record<string, string>;
  quotesPolledAt?: number;
  /** Instrument key → open time of the newest final candle emitted, and the open candle last emitted. */
  candles?: Record<string, { final?: number; open?: string }>;
  candlesPolledAt?: number;
  backfill?: BackfillCursor;
}

export function isTwelveDataCheckpoint(value: unknown): value is TwelveDataCheckpoint {
  return typeof value === "object" && value !== null && (value as { v?: unknown }).v === 1;
}

export const emptyCheckpoint = (): TwelveDataCheckpoint => ({ v: 1 });
