import { z } from "zod";

/**
 * Column hints read by the generators (SQL DDL, JSON Schema). Kept on the zod schema
 * itself with `.meta()`, so the schema stays the single source of truth.
 */
export interface ColumnMeta {
  /** SQL type of the column, e.g. `NUMERIC(20,8)`. */
  sqlType?: string;
  /** Column name when it is not the snake_case form of the field name. */
  column?: string;
  /** Producers may leave the field out, but the schema always fills it in (never NULL). */
  alwaysInOutput?: boolean;
  description?: string;
}

const DECIMAL_TEXT = /^-?(?:\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * A decimal amount (price, market cap, volume). Accepts a JSON number or a decimal
 * string and always yields a decimal string, so no float arithmetic ever happens on
 * the way to a NUMERIC(p,s) column: a string stays exact, a number keeps the digits
 * JavaScript prints for it. Values whose integer part does not fit the column are
 * rejected here, naming the field, instead of failing later in the database.
 */
export function decimal(precision: number, scale: number, description: string) {
  const maxIntegerDigits = precision - scale;
  return z
    .union([z.number(), z.string()])
    .transform((value, context) => {
      const text = typeof value === "number" ? numberToText(value) : value.trim();
      if (text === null || !DECIMAL_TEXT.test(text)) {
        context.addIssue({
          code: "custom",
          message: `expected a finite decimal number, got ${JSON.stringify(value)}`,
        });
        return z.NEVER;
      }
      const normalized = text.includes("e") || text.includes("E") ? expandExponent(text) : text;
      if (integerDigits(normalized) > maxIntegerDigits) {
        context.addIssue({
          code: "custom",
          message: `${normalized} has more than ${maxIntegerDigits} integer digits (column is NUMERIC(${precision},${scale}))`,
        });
        return z.NEVER;
      }
      return normalized;
    })
    .meta({ sqlType: `NUMERIC(${precision},${scale})`, description, format: "decimal" });
}

function numberToText(value: number): string | null {
  return Number.isFinite(value) ? String(value) : null;
}

function integerDigits(text: string): number {
  const unsigned = text.startsWith("-") ? text.slice(1) : text;
  const integerPart = unsigned.split(".")[0] ?? "";
  return integerPart.replace(/^0+/, "").length;
}

/** `1.5e-7` → `0.00000015`, exactly, by moving the decimal point in the digit string. */
function expandExponent(text: string): string {
  const negative = text.startsWith("-");
  const [mantissa = "", exponentText = "0"] = (negative ? text.slice(1) : text).toLowerCase().split("e");
  const exponent = Number(exponentText);
  const [whole = "", fraction = ""] = mantissa.split(".");
  const digits = whole + fraction;
  const pointAt = whole.length + exponent;
  let result: string;
  if (pointAt <= 0) result = `0.${"0".repeat(-pointAt)}${digits}`;
  else if (pointAt >= digits.length) result = digits + "0".repeat(pointAt - digits.length);
  else result = `${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
  result = result.replace(/^0+(?=\d)/, "");
  if (result.includes(".")) result = result.replace(/\.?0+$/, "");
  return negative && /[1-9]/.test(result) ? `-${result}` : result;
}

/** 9999-12-31T23:59:59.999Z, the last instant with a four-digit year. */
export const MAX_TIMESTAMP_MS = 253_402_300_799_999;

/**
 * A point in time, always UTC. Accepts an ISO-8601 string with an offset, a Date or
 * epoch milliseconds; yields the ISO-8601 UTC form (`2024-01-01T00:00:00.000Z`).
 */
export function utcTimestamp(description: string) {
  return z
    .union([z.iso.datetime({ offset: true }), z.date(), z.number().int().nonnegative()])
    .transform((value, context) => {
      const date = value instanceof Date ? value : new Date(value);
      if (Number.isNaN(date.getTime())) {
        context.addIssue({ code: "custom", message: "invalid date" });
        return z.NEVER;
      }
      // Beyond year 9999 toISOString() prints `+010000-…`, which is not RFC 3339.
      if (date.getTime() > MAX_TIMESTAMP_MS) {
        context.addIssue({ code: "custom", message: `${date.toISOString()} is after year 9999` });
        return z.NEVER;
      }
      return date.toISOString();
    })
    .meta({ sqlType: "TIMESTAMPTZ", description, format: "date-time" });
}

/** A lowercase identifier such as a CoinGecko coin id (`bitcoin`, `usd-coin`). */
export const identifier = (maxLength: number, description: string) =>
  z
    .string()
    .min(1)
    .max(maxLength)
    .regex(/^[a-z0-9][a-z0-9._-]*$/, "lowercase letters, digits, '.', '_' or '-'")
    .meta({ sqlType: `VARCHAR(${maxLength})`, description });

/**
 * An uppercase code such as a currency or ticker (`BTC`, `USDT`, `EUR`, `AAPL`, `BRK.B`,
 * `1000SATS`): the normalised form of an instrument's base and quote.
 */
export const code = (maxLength: number, description: string) =>
  z
    .string()
    .min(1)
    .max(maxLength)
    .regex(/^[A-Z0-9][A-Z0-9._-]*$/, "uppercase letters, digits, '.', '_' or '-'")
    .meta({ sqlType: `VARCHAR(${maxLength})`, description });

export const shortText = (maxLength: number, description: string) =>
  z
    .string()
    .min(1)
    .max(maxLength)
    .meta({ sqlType: `VARCHAR(${maxLength})`, description });

export const longText = (description: string) => z.string().min(1).meta({ sqlType: "TEXT", description });

export const count = (description: string) =>
  z.number().int().nonnegative().max(2_147_483_647).meta({ sqlType: "INTEGER", description });
