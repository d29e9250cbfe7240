/**
 * Milliseconds of an RFC 3339 time with any number of fractional digits (Coinbase and
 * Kraken send micro- and nanoseconds): the fraction is cut to milliseconds, not rounded,
 * so a trade never moves into the next millisecond.
 */
export function parseTime(text: string): number {
  const trimmed = text.replace(/(\.\d{3})\d+/, "$1");
  const ms = Date.parse(trimmed);
  if (Number.isNaN(ms)) throw new Error(`not a time: ${text}`);
  return ms;
}
