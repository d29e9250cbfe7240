import type { MarketRecord, RecordKind } from "../dsl/kinds";
import { tableModel } from "../dsl/table-model";
import { sampleRecords } from "./sample-records";

/**
 * Valid records of a kind whose decimals use every digit their columns allow: for
 * NUMERIC(20,8), twelve integer and eight fractional digits, twenty significant digits in
 * all, which no binary floating-point type keeps (a double holds 15 to 17). A target that
 * stores or passes decimals through a float (REAL, DOUBLE PRECISION, JSON numbers) reads
 * them back changed.
 *
 * They are the sample records with each group of decimal fields that share a column type
 * (a candle's open, high, low and close) scaled up by the same power of ten and given the
 * same fractional tail, so the relations between them (low ≤ open ≤ high) still hold.
 */
export async function precisionRecords(kind: RecordKind, count: number, seed = 11): Promise<MarketRecord[]> {
  const groups = decimalGroups(kind);
  const records = await sampleRecords(kind, count, seed);
  return records.map((record) => {
    const copy = { ...record } as Record<string, unknown>;
    for (const group of groups) widenGroup(copy, group);
    return copy as unknown as MarketRecord;
  });
}

interface DecimalGroup {
  fields: string[];
  integerDigits: number;
  scale: number;
}

function decimalGroups(kind: RecordKind): DecimalGroup[] {
  const groups = new Map<string, DecimalGroup>();
  for (const column of tableModel(kind).columns) {
    if (column.valueType !== "decimal") continue;
    const match = /^NUMERIC\((\d+),\s*(\d+)\)$/i.exec(column.sqlType);
    if (!match) continue;
    const precision = Number(match[1]);
    const scale = Number(match[2]);
    const group = groups.get(column.sqlType) ?? { fields: [], integerDigits: precision - scale, scale };
    group.fields.push(column.field);
    groups.set(column.sqlType, group);
  }
  return [...groups.values()];
}

/** Scales every present value of the group by 10^k and adds the same tail, exactly (BigInt). */
function widenGroup(record: Record<string, unknown>, group: DecimalGroup): void {
  const present = group.fields.filter((field) => typeof record[field] === "string");
  if (present.length === 0) return;
  const largest = Math.max(...present.map((field) => integerDigitsOf(record[field] as string)));
  // One digit of headroom: the tail added below may carry into the integer part.
  const shift = Math.max(0, group.integerDigits - 1 - largest);
  // 0.1234567890123... cut to the column's scale: every fractional digit is used.
  const tail = BigInt("1234567890123456789012345678901234567890".slice(0, group.scale) || "0");
  for (const field of present) {
    const scaled = toScaledInteger(record[field] as string, group.scale, shift);
    const widened = scaled < 0n ? scaled - tail : scaled + tail;
    record[field] = fromScaledInteger(widened, group.scale);
  }
}

function integerDigitsOf(text: string): number {
  const integerPart = (text.startsWith("-") ? text.slice(1) : text).split(".")[0] ?? "";
  return integerPart.replace(/^0+/, "").length;
}

/** `text` × 10^shift as an integer count of 10^-scale units (extra fractional digits dropped). */
function toScaledInteger(text: string, scale: number, shift: number): bigint {
  const negative = text.startsWith("-");
  const [whole = "0", fraction = ""] = (negative ? text.slice(1) : text).split(".");
  const digits = `${whole}${fraction.padEnd(scale + shift, "0").slice(0, scale + shift)}`;
  const value = BigInt(digits);
  return negative ? -value : value;
}

function fromScaledInteger(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}
