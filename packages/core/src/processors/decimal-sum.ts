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
  addUnits(value: string, units: number, scale: number): void {
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
    this.text = addDecimal(this.text, value);
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
  if (value.length > 16) return Number.NaN;
  const units = Number(
    scale === 0 ? value : value.slice(0, value.length - scale - 1) + value.slice(value.length - scale),
  );
  return Number.isSafeInteger(units) ? units : Number.NaN;
}

/**
 * A decimal string's value as a number when that is exact enough to order by: at most 15
 * significant digits map to distinct doubles in the same order. NaN otherwise (compare the
 * text exactly then).
 */
export function orderingNumber(value: string): number {
  return value.length <= 16 ? Number(value) : Number.NaN;
}
