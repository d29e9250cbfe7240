import type { BackfillCursor } from "./checkpoint";
import type { Instrument } from "./instruments";
import { type Interval, intervalFacts } from "./intervals";
import { formatWall } from "./time-zones";

/** Rows Twelve Data gives at most per request (`outputsize` 1 to 5000), less a margin for bounds it includes. */
export const MAX_ROWS = 5000;
const ROWS_PER_WINDOW = MAX_ROWS - 10;

export interface BackfillWindow {
  /** Candles opening in [keepFrom, keepTo) belong to this window; the rest belong to its neighbours. */
  keepFrom: number;
  keepTo: number;
  /** Twelve Data's `start_date` and `end_date`: wall times of the exchange (dates where its zone is not known yet). */
  startDate: string;
  endDate: string;
}

export function backfillShape(
  instruments: readonly Instrument[],
  interval: Interval,
  from: number,
  to: number | undefined,
): string {
  return JSON.stringify([instruments.map((instrument) => instrument.key), interval, from, to ?? null]);
}

/** The cursor to go on from: the checkpoint's when it is of the same backfill, else a fresh one. */
export function startCursor(
  previous: BackfillCursor | undefined,
  shape: string,
  from: number,
  to: number,
): BackfillCursor {
  if (previous && previous.shape === shape) return previous;
  return { shape, to, index: 0, next: from, done: false };
}

/**
 * The next window of an instrument: as wide as `MAX_ROWS` candles can be (a 24-hour market
 * fills it), so no answer is cut short. Twelve Data reads `start_date` and `end_date` on the
 * exchange's wall clock (forex and crypto: UTC). Until an instrument's zone is known (its
 * first answer says it), the window asks for 14 hours more on each side (no zone is further
 * from UTC) and keeps only its own part, so whatever the zone nothing is missed.
 */
export function planWindow(
  interval: Interval,
  next: number,
  to: number,
  zone: string | undefined,
): BackfillWindow {
  const { ms } = intervalFacts(interval);
  if (zone) {
    const keepTo = Math.min(to, next + ROWS_PER_WINDOW * ms);
    return { keepFrom: next, keepTo, startDate: formatWall(next, zone), endDate: formatWall(keepTo, zone) };
  }
  const span = Math.max(ms, ROWS_PER_WINDOW * ms - 2 * ZONE_MARGIN_MS);
  const keepTo = Math.min(to, next + span);
  return {
    keepFrom: next,
    keepTo,
    startDate: formatWall(next - ZONE_MARGIN_MS, "UTC"),
    endDate: formatWall(keepTo + ZONE_MARGIN_MS, "UTC"),
  };
}

/** No time zone is further than 14 hours from UTC. */
const ZONE_MARGIN_MS = 14 * 3_600_000;
