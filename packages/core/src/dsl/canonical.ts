import type { RecordKind, RecordOfKind } from "./kinds";

/**
 * A fast path for records that are already in canonical form: exactly what the kind's zod
 * schema outputs (decimals as plain decimal text, times as `YYYY-MM-DDTHH:mm:ss.sssZ`,
 * defaults present, keys in the schema's order), which is what QiCore's own producers
 * write. Such a record is its own normalisation, so checking it by hand gives the same
 * output as the schema at a fraction of the cost (no closures, issues or intermediate
 * objects per field). Anything else, including every invalid record, is left to the
 * schema, so normalisation and error messages stay the schema's.
 *
 * Every check here is at least as strict as the schema's; canonical.test.ts feeds valid
 * and subtly invalid records through both and fails if this path accepts anything the
 * schema refuses or returns anything but the schema's output. A change to records.ts or
 * primitives.ts must be mirrored here (that test also compares the field lists).
 */

/** How one field of the canonical form is checked. */
export type CanonicalCheck =
  /** identifier(): `[a-z0-9][a-z0-9._-]*`, 1 to `max` characters. */
  | { type: "identifier"; max: number }
  /** code(): `[A-Z0-9][A-Z0-9._-]*`, 1 to `max` characters. */
  | { type: "code"; max: number }
  /** An enum such as TradeSide: one of `values`, or null; the key may be absent. */
  | { type: "nullableOneOf"; values: readonly string[] }
  /** shortText() / longText(): a string of 1 to `max` characters. */
  | { type: "text"; max: number }
  /** decimal(): plain decimal text (`-?\d+(\.\d+)?`, no exponent or blanks) of at most `integerDigits` significant integer digits. */
  | { type: "decimal"; integerDigits: number }
  /** optionalDecimal(): null or a decimal as above; the key may be absent. */
  | { type: "nullableDecimal"; integerDigits: number }
  /** utcTimestamp(): `YYYY-MM-DDTHH:mm:ss.sssZ` naming a real instant, as toISOString() prints it. */
  | { type: "timestamp" }
  /** count(): an integer from 0 to 2^31 - 1. */
  | { type: "count" }
  /** Timeframe: `[1-9]\d{0,3}` then m, h, d or w. */
  | { type: "timeframe" }
  | { type: "boolean" };

export interface CanonicalField {
  name: string;
  /** The key may be absent (optional fields without a default). */
  optional: boolean;
  check: CanonicalCheck;
}

const MAX_COUNT = 2_147_483_647;
/** No value equals it: a field starts with nothing accepted. */
const NOT_SEEN = Symbol("not seen");

const field = (name: string, check: CanonicalCheck, optional = false): CanonicalField => ({
  name,
  optional,
  check,
});
const identifier = (name: string, max = 50) => field(name, { type: "identifier", max });
const optionalIdentifier = (name: string) => field(name, { type: "identifier", max: 50 }, true);
const code = (name: string) => field(name, { type: "code", max: 20 });
const assetClass = () => identifier("assetClass", 20);
/** An exchange price or amount, NUMERIC(30,12). */
const exchangeDecimal = (name: string) => decimal(name, 30, 12);
const optionalExchangeDecimal = (name: string) => optionalDecimal(name, 30, 12);
const text = (name: string, max = Number.POSITIVE_INFINITY) => field(name, { type: "text", max });
/** `precision - scale` integer digits, as decimal(precision, scale) allows. */
const decimal = (name: string, precision: number, scale: number) =>
  field(name, { type: "decimal", integerDigits: precision - scale });
const optionalDecimal = (name: string, precision: number, scale: number) =>
  field(name, { type: "nullableDecimal", integerDigits: precision - scale }, true);
const timestamp = (name: string) => field(name, { type: "timestamp" });

/** The canonical form of each kind, field by field in the schema's order (records.ts). */
export const CANONICAL_FIELDS: { readonly [K in RecordKind]: readonly CanonicalField[] } = {
  price: [
    optionalIdentifier("coinId"),
    text("symbol", 20),
    identifier("exchangeId"),
    text("instrument", 50),
    code("quote"),
    assetClass(),
    decimal("usdPrice", 20, 8),
    optionalDecimal("btcPrice", 30, 18),
    optionalDecimal("marketCap", 30, 2),
    optionalDecimal("volume24h", 30, 2),
    optionalDecimal("change24h", 12, 4),
    optionalDecimal("change7d", 12, 4),
    timestamp("lastUpdated"),
    text("source", 100),
    text("attribution"),
  ],
  ohlcv: [
    optionalIdentifier("coinId"),
    identifier("exchangeId"),
    text("instrument", 50),
    field("base", { type: "code", max: 20 }, true),
    code("quote"),
    assetClass(),
    timestamp("timestamp"),
    field("timeframe", { type: "timeframe" }),
    exchangeDecimal("open"),
    exchangeDecimal("high"),
    exchangeDecimal("low"),
    exchangeDecimal("close"),
    optionalDecimal("volume", 30, 10),
    field("isFinal", { type: "boolean" }),
    text("source", 100),
    text("attribution"),
    field("tradeCount", { type: "count" }, true),
    field("filled", { type: "boolean" }, true),
  ],
  analytics: [
    timestamp("timestamp"),
    decimal("totalMarketCap", 30, 2),
    decimal("totalVolume", 30, 2),
    decimal("btcDominance", 9, 6),
    optionalDecimal("ethDominance", 9, 6),
    field("activeCryptocurrencies", { type: "count" }),
    field("markets", { type: "count" }),
    decimal("marketCapChange24h", 12, 4),
    text("source", 100),
    text("attribution"),
  ],
  trade: [
    ...exchangeInstrument(),
    text("tradeId", 64),
    exchangeDecimal("price"),
    exchangeDecimal("amount"),
    field("side", { type: "nullableOneOf", values: ["buy", "sell"] }, true),
    timestamp("timestamp"),
    timestamp("receivedAt"),
    text("source", 100),
    text("attribution"),
  ],
  quote: [
    ...exchangeInstrument(),
    exchangeDecimal("bidPrice"),
    optionalExchangeDecimal("bidSize"),
    exchangeDecimal("askPrice"),
    optionalExchangeDecimal("askSize"),
    timestamp("timestamp"),
    timestamp("receivedAt"),
    text("source", 100),
    text("attribution"),
  ],
};

/** The instrument fields of trades and quotes (records.ts `exchangeInstrument`). */
function exchangeInstrument(): CanonicalField[] {
  return [
    identifier("exchangeId"),
    text("instrument", 50),
    code("base"),
    code("quote"),
    optionalIdentifier("coinId"),
    assetClass(),
  ];
}

/** Per kind and field, the value last accepted (see canonicalRecord). */
const LAST_ACCEPTED = Object.fromEntries(
  Object.entries(CANONICAL_FIELDS).map(([kind, fields]) => [
    kind,
    new Array<unknown>(fields.length).fill(NOT_SEEN),
  ]),
) as unknown as { readonly [K in RecordKind]: unknown[] };

/**
 * The record when `input` is a canonical record of the kind (see above); undefined
 * otherwise, which says nothing about validity: the schema decides those.
 *
 * By default the record is copied into a new object, each value read once, so what is
 * checked is what is returned whatever `input` is. With `reuse`, `input` itself is
 * returned: only for plain data nothing else holds, such as what JSON.parse just returned
 * (no getters, no symbols, no other references), where a copy would only cost time.
 */
export function canonicalRecord<K extends RecordKind>(
  kind: K,
  input: unknown,
  reuse = false,
): RecordOfKind[K] | undefined {
  if (typeof input !== "object" || input === null || Object.getPrototypeOf(input) !== Object.prototype)
    return undefined;
  const fields = CANONICAL_FIELDS[kind];
  const source = input as Record<string, unknown>;
  const output: Record<string, unknown> | undefined = reuse ? undefined : {};
  const accepted = LAST_ACCEPTED[kind];
  let next = 0;
  // for-in sees enumerable keys in insertion order (inherited ones too, which then fail to
  // match): the keys must be the schema's, in its order, optional ones possibly left out.
  for (const key in source) {
    let expected = fields[next];
    while (expected?.optional && expected.name !== key) expected = fields[++next];
    if (expected === undefined || expected.name !== key) return undefined;
    const value = source[key];
    // Every check is a pure function of the value, so a value this field accepted last
    // time passes again: the constant fields of a stream's records (exchange, instrument,
    // source, attribution, a millisecond's receive time) are checked once, not per record.
    if (value !== accepted[next]) {
      if (!accepts(expected.check, value)) return undefined;
      accepted[next] = value;
    }
    next++;
    if (output !== undefined) output[key] = value;
  }
  for (; next < fields.length; next++) if (!(fields[next] as CanonicalField).optional) return undefined;
  return (output ?? source) as unknown as RecordOfKind[K];
}

function accepts(check: CanonicalCheck, value: unknown): boolean {
  switch (check.type) {
    case "identifier":
      return typeof value === "string" && isIdentifier(value, check.max);
    case "code":
      return typeof value === "string" && isCode(value, check.max);
    case "nullableOneOf":
      return value === null || (typeof value === "string" && check.values.includes(value));
    case "text":
      return typeof value === "string" && value.length >= 1 && value.length <= check.max;
    case "decimal":
      return typeof value === "string" && isPlainDecimal(value, check.integerDigits);
    case "nullableDecimal":
      return value === null || (typeof value === "string" && isPlainDecimal(value, check.integerDigits));
    case "timestamp":
      return typeof value === "string" && isCanonicalTimestamp(value);
    case "count":
      return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_COUNT;
    case "timeframe":
      return typeof value === "string" && isTimeframe(value);
    case "boolean":
      return typeof value === "boolean";
  }
}

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const LOWER_A = 97;
const LOWER_Z = 122;
const UPPER_A = 65;
const UPPER_Z = 90;
const DOT = 46;
const UNDERSCORE = 95;
const HYPHEN = 45;

const isDigit = (code: number) => code >= DIGIT_0 && code <= DIGIT_9;
const isLowerOrDigit = (code: number) => isDigit(code) || (code >= LOWER_A && code <= LOWER_Z);
const isUpperOrDigit = (code: number) => isDigit(code) || (code >= UPPER_A && code <= UPPER_Z);

function isIdentifier(value: string, max: number): boolean {
  const length = value.length;
  if (length < 1 || length > max || !isLowerOrDigit(value.charCodeAt(0))) return false;
  for (let index = 1; index < length; index++) {
    const code = value.charCodeAt(index);
    if (!isLowerOrDigit(code) && code !== DOT && code !== UNDERSCORE && code !== HYPHEN) return false;
  }
  return true;
}

function isCode(value: string, max: number): boolean {
  const length = value.length;
  if (length < 1 || length > max || !isUpperOrDigit(value.charCodeAt(0))) return false;
  for (let index = 1; index < length; index++) {
    const code = value.charCodeAt(index);
    if (!isUpperOrDigit(code) && code !== DOT && code !== UNDERSCORE && code !== HYPHEN) return false;
  }
  return true;
}

/**
 * `-?\d+(\.\d+)?` with at most `maxIntegerDigits` digits before the point once leading
 * zeros are dropped: the schema's decimal text without exponent or surrounding blanks,
 * which it returns unchanged.
 */
function isPlainDecimal(value: string, maxIntegerDigits: number): boolean {
  const length = value.length;
  let index = value.charCodeAt(0) === HYPHEN ? 1 : 0;
  const integerStart = index;
  while (index < length && value.charCodeAt(index) === DIGIT_0) index++;
  const significantStart = index;
  while (index < length && isDigit(value.charCodeAt(index))) index++;
  if (index === integerStart || index - significantStart > maxIntegerDigits) return false;
  if (index === length) return true;
  if (value.charCodeAt(index) !== DOT) return false;
  const fractionStart = ++index;
  while (index < length && isDigit(value.charCodeAt(index))) index++;
  return index === length && index > fractionStart;
}

/** Two digits at `at` as a number, or -1 when either is not a digit. */
function twoDigits(value: string, at: number): number {
  const high = value.charCodeAt(at) - DIGIT_0;
  const low = value.charCodeAt(at + 1) - DIGIT_0;
  return high >= 0 && high <= 9 && low >= 0 && low <= 9 ? high * 10 + low : -1;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * `YYYY-MM-DDTHH:mm:ss.sssZ` with a real calendar date (Gregorian leap years) and time
 * (no hour 24, no leap second): exactly the strings Date#toISOString prints for years
 * 0000 to 9999, so the schema's `new Date(value).toISOString()` returns them unchanged.
 */
function isCanonicalTimestamp(value: string): boolean {
  if (
    value.length !== 24 ||
    value.charCodeAt(4) !== HYPHEN ||
    value.charCodeAt(7) !== HYPHEN ||
    value.charCodeAt(10) !== 84 /* T */ ||
    value.charCodeAt(13) !== 58 /* : */ ||
    value.charCodeAt(16) !== 58 ||
    value.charCodeAt(19) !== DOT ||
    value.charCodeAt(23) !== 90 /* Z */
  )
    return false;
  const century = twoDigits(value, 0);
  const yearOfCentury = twoDigits(value, 2);
  const month = twoDigits(value, 5);
  const day = twoDigits(value, 8);
  const hour = twoDigits(value, 11);
  const minute = twoDigits(value, 14);
  const second = twoDigits(value, 17);
  const milliseconds = twoDigits(value, 20);
  if (century < 0 || yearOfCentury < 0 || milliseconds < 0 || !isDigit(value.charCodeAt(22))) return false;
  if (month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59) return false;
  if (second < 0 || second > 59) return false;
  const year = century * 100 + yearOfCentury;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number);
  return day <= days;
}

/** `[1-9]\d{0,3}(m|h|d|w|mo)`. */
function isTimeframe(value: string): boolean {
  // A month (`mo`) has a two-letter unit; every other unit is one letter.
  const month =
    value.length > 2 &&
    value.charCodeAt(value.length - 2) === 109 /* m */ &&
    value.charCodeAt(value.length - 1) === 111; /* o */
  const digits = value.length - (month ? 2 : 1);
  if (digits < 1 || digits > 4) return false;
  const first = value.charCodeAt(0);
  if (first < 49 /* 1 */ || first > DIGIT_9) return false;
  for (let index = 1; index < digits; index++) if (!isDigit(value.charCodeAt(index))) return false;
  if (month) return true;
  const unit = value.charCodeAt(digits);
  return unit === 109 /* m */ || unit === 104 /* h */ || unit === 100 /* d */ || unit === 119 /* w */;
}
