/**
 * Exact arithmetic on the decimal strings records carry (`"67012.12345678"`): candles compare
 * and add prices and amounts without ever going through a float.
 */

interface Scaled {
  value: bigint;
  scale: number;
}

function scaled(text: string): Scaled {
  const negative = text.startsWith("-");
  const [whole = "0", fraction = ""] = (negative ? text.slice(1) : text).split(".");
  const value = BigInt(`${whole}${fraction}` || "0");
  return { value: negative ? -value : value, scale: fraction.length };
}

function align(a: Scaled, b: Scaled): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.value * 10n ** BigInt(scale - a.scale), b.value * 10n ** BigInt(scale - b.scale), scale];
}

function text(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale > 0 ? digits.slice(digits.length - scale).replace(/0+$/, "") : "";
  return `${negative && (whole !== "0" || fraction) ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}

/** -1, 0 or 1 as `a` is below, equal to or above `b`. */
export function compareDecimal(a: string, b: string): number {
  const [left, right] = align(scaled(a), scaled(b));
  return left < right ? -1 : left > right ? 1 : 0;
}

export function addDecimal(a: string, b: string): string {
  const [left, right, scale] = align(scaled(a), scaled(b));
  return text(left + right, scale);
}

/** `a / b` rounded half-up to `digits` fractional digits. */
export function divideDecimal(a: string, b: string, digits: number): string {
  const [left, right] = align(scaled(a), scaled(b));
  if (right === 0n) throw new RangeError("division by zero");
  const factor = 10n ** BigInt(digits);
  const negative = left < 0n !== right < 0n;
  const numerator = (left < 0n ? -left : left) * factor * 2n;
  const denominator = right < 0n ? -right : right;
  const quotient = (numerator / denominator + 1n) / 2n;
  return text(negative ? -quotient : quotient, digits);
}

export function multiplyDecimal(a: string, b: string): string {
  const left = scaled(a);
  const right = scaled(b);
  return text(left.value * right.value, left.scale + right.scale);
}

/** The median of decimal strings (the mean of the middle two, exactly, for an even count). */
export function medianDecimal(values: readonly string[]): string | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort(compareDecimal);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle];
  return divideDecimal(addDecimal(sorted[middle - 1] as string, sorted[middle] as string), "2", 12);
}
