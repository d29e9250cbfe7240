/** From here on toISOString prints years with a sign and six digits. */
const YEAR_10000 = 253_402_300_800_000;
const MILLISECONDS = Array.from({ length: 1000 }, (_, ms) => `${String(ms).padStart(3, "0")}Z`);

/**
 * `new Date(ms).toISOString()`, remembered per second: a trade stream's times differ by
 * milliseconds, and building a Date and printing it for every trade cost the source more
 * than reading the trade. The result is the same string (iso-times.test.ts); times outside
 * years 1970 to 9999 and fractions of a millisecond are printed by Date each time.
 */
export class IsoTimes {
  private second = Number.NaN;
  private prefix = "";
  private lastMs = Number.NaN;
  private last = "";

  format(ms: number): string {
    if (ms === this.lastMs) return this.last;
    if (!(ms >= 0 && ms < YEAR_10000) || !Number.isInteger(ms)) return new Date(ms).toISOString();
    const second = Math.floor(ms / 1000);
    if (second !== this.second) {
      this.second = second;
      // `YYYY-MM-DDTHH:mm:ss.`
      this.prefix = new Date(second * 1000).toISOString().slice(0, 20);
    }
    this.lastMs = ms;
    this.last = this.prefix + (MILLISECONDS[ms - second * 1000] as string);
    return this.last;
  }
}
