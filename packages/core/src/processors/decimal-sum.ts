import { addDecimal } from "./decimal-text";

const POWERS = Array.from({ length: 16 }, (_, index) => 10 ** index);

/**
 * An exact running sum of decimal strings (a candle's volume), cheap per addition: while it
 * fits, the sum is a safe integer of units at a scale (plain number arithmetic, no float
 * rounding: every value and sum is an integer below 2^53); past that it continues as decimal
 * text, exactly.
 */
export class DecimalSum {
  private units = 0;
  private scale = 0;
  /** The exact sum as text once the integer form would overflow. */
  private text: string | undefined;

  constructor(first: string, units = unitsOf(first, scaleOf(first)), scale = scaleOf(first)) {
    this.addUnits(first, units, scale);
  }

  add(value: string): void {
    const scale = scaleOf(value);
    this.addUnits(value, unitsOf(value, scale), scale);
  }

  /**
   * Adds a value already split into units and scale (unitsOf, scaleOf): a trade's amount is
   * added to a bucket of every width, and is split once.
   */
  addUnits(value: string, units: number, scale: number, text?: () => string): void {
    if (this.text === undefined) {
      if (!Number.isNaN(units) && scale < POWERS.length) {
        const common = Math.max(scale, this.scale);
        const sum =
          this.units * (POWERS[common - this.scale] as number) + units * (POWERS[common - scale] as number);
        if (Number.isSafeInteger(sum)) {
          this.units = sum;
          this.scale = common;
          return;
        }
      }
      this.text = this.toString();
    }
    this.text = addDecimal(this.text, text ? text() : value);
  }

  /** A sum of its own with the same value (a wider candle starts from a narrower one's volume). */
  static copyOf(other: DecimalSum): DecimalSum {
    const copy = new DecimalSum("0");
    copy.merge(other);
    return copy;
  }

  /** Adds another sum. */
  merge(other: DecimalSum): void {
    if (other.text === undefined) this.addUnits("", other.units, other.scale, () => other.toString());
    else this.addUnits(other.text, Number.NaN, 0);
  }

  toString(): string {
    if (this.text !== undefined) return this.text;
    const negative = this.units < 0;
    const digits = String(Math.abs(this.units)).padStart(this.scale + 1, "0");
    const whole = digits.slice(0, digits.length - this.scale);
    const fraction = this.scale > 0 ? digits.slice(digits.length - this.scale).replace(/0+$/, "") : "";
    return `${negative && (whole !== "0" || fraction) ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
  }
}

/** Digits after the decimal point. */
export function scaleOf(value: string): number {
  const dot = value.indexOf(".");
  return dot < 0 ? 0 : value.length - dot - 1;
}

/** The value as an exact integer of units at `scale` (`"1.25"` → 125), NaN when it would not be exact. */
export function unitsOf(value: string, scale: number): number {
  // At most 15 digits: the integer is exact.
  if (value.length > 16 || scale >= POWERS.length) return Number.NaN;
  // Digit by digit, not by slicing out the dot and parsing the rest: no string is made, and
  // this runs for every trade in every candle.
  let units = 0;
  let start = 0;
  const negative = value.charCodeAt(0) === 45;
  if (negative) start = 1;
  for (let index = start; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code >= 48 && code <= 57) units = units * 10 + (code - 48);
    else if (code !== 46) return Number.NaN;
  }
  if (start === value.length) return Number.NaN;
  return negative ? -units : units;
}

/**
 * A decimal string's value as a number when that is exact enough to order by: at most 15
 * significant digits map to distinct doubles in the same order. NaN otherwise (compare the
 * text exactly then). Units over a power of ten is the same double as `Number(value)` (both
 * are the correctly rounded value), without parsing the text as a float.
 */
export function orderingNumber(value: string): number {
  if (value.length > 16) return Number.NaN;
  const scale = scaleOf(value);
  const units = unitsOf(value, scale);
  return Number.isNaN(units) ? Number(value) : units / (POWERS[scale] as number);
}
