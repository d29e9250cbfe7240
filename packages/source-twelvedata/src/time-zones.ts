/**
 * Twelve Data writes times as the exchange's wall clock (`2024-03-11 09:30:00` in
 * America/New_York; forex and crypto in UTC). These turn such wall times into UTC instants and
 * back, across daylight-saving changes: a wall time in the spring gap does not exist (it is
 * read as the time after the gap), one in the autumn overlap exists twice (both are given, and
 * a series picks the one that keeps its order).
 */

const WALL = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let found = formatters.get(zone);
  if (!found) {
    found = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(zone, found);
  }
  return found;
}

/** True when the runtime knows this IANA time zone. */
export function isKnownTimeZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock of `zone` at `instant`, as milliseconds of a UTC calendar (local − UTC = offset). */
function wallAsUtc(zone: string, instant: number): number {
  const parts: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(new Date(instant)))
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  return Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
}

/** The zone's offset from UTC at `instant`, in milliseconds (New York in winter: −5 h). */
export function offsetAt(zone: string, instant: number): number {
  const whole = Math.floor(instant / 1000) * 1000;
  return wallAsUtc(zone, whole) - whole;
}

/** `2024-03-11 09:30:00` or `2024-03-11` read as a UTC calendar time; undefined when it is neither. */
export function parseWall(text: string): number | undefined {
  const match = WALL.exec(text.trim());
  if (!match) return undefined;
  const [, year, month, day, hour = "0", minute = "0", second = "0"] = match;
  const value = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
  );
  return Number.isNaN(value) ? undefined : value;
}

/**
 * Every UTC instant at which `zone`'s clock shows `wall` (ms of a UTC calendar, as parseWall
 * gives): one normally, two in an autumn overlap (earlier first), none in a spring gap.
 */
export function instantsOfWall(wall: number, zone: string): number[] {
  const offsets = new Set([offsetAt(zone, wall - 14 * 3_600_000), offsetAt(zone, wall + 14 * 3_600_000)]);
  const found = new Set<number>();
  for (const offset of offsets) {
    const candidate = wall - offset;
    if (wallAsUtc(zone, candidate) === wall) found.add(candidate);
  }
  return [...found].sort((a, b) => a - b);
}

/**
 * The UTC instant of one wall time. In an overlap the earlier one, unless that would not be
 * after `after` (the previous point of an ascending series); in a gap, the time the clocks
 * jumped to plus how far into the gap it was (02:30 in New York's spring gap → 03:30 EDT).
 */
export function wallToInstant(wall: number, zone: string, after = Number.NEGATIVE_INFINITY): number {
  if (zone === "UTC") return wall;
  const instants = instantsOfWall(wall, zone);
  if (instants.length === 0) return wall - offsetAt(zone, wall - 14 * 3_600_000);
  return instants.find((instant) => instant > after) ?? (instants.at(-1) as number);
}

/** The wall time of `zone` at `instant`, as Twelve Data's `start_date` takes it: `2024-03-11T09:30:00`. */
export function formatWall(instant: number, zone: string): string {
  return new Date(wallAsUtc(zone, instant)).toISOString().slice(0, 19);
}

/** The UTC instant of the local midnight that starts the day `wall` falls on. */
export function localMidnight(wall: number, zone: string): number {
  const day = Math.floor(wall / 86_400_000) * 86_400_000;
  return wallToInstant(day, zone);
}
