const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `250ms`, `30s`, `5m`, `23h50m`, `24h`, or a number of milliseconds; undefined when unreadable. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  const text = value.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g))
    total += Number(match[1]) * (UNITS[match[2] as string] as number);
  return total;
}

/** Milliseconds of a candle width such as `1m`, `4h`, `1d`, `1w`. */
export function timeframeMs(timeframe: string): number {
  const match = /^(\d+)(m|h|d|w)$/.exec(timeframe);
  if (!match) throw new Error(`not a candle width: ${timeframe}`);
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[match[2] as "m" | "h" | "d" | "w"];
  return Number(match[1]) * unit;
}
