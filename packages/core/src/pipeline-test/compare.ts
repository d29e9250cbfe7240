import type { DeadLetter } from "../adapters/types";
import { type MarketRecord, RECORD_KIND_DEFINITIONS, type RecordKind } from "../dsl/kinds";
import { compareDecimal } from "../processors/decimal-text";
import { compileExpression } from "../processors/expression";
import type { ExpectedDeadLetters, ExpectedRecords } from "./test-file";

type Fields = Record<string, unknown>;

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** Equal as written in a test: a YAML number matches the same decimal written as text. */
function sameValue(expected: unknown, actual: unknown): boolean {
  if (typeof expected === "number" && typeof actual === "string" && DECIMAL.test(actual)) {
    const text = String(expected);
    return DECIMAL.test(text) && compareDecimal(text, actual) === 0;
  }
  if (actual instanceof Date)
    return typeof expected === "string" && Date.parse(expected) === actual.getTime();
  return JSON.stringify(expected) === JSON.stringify(actual);
}

const show = (value: unknown) => (value === undefined ? "nothing" : JSON.stringify(value));

/** The fields of `expected` that `actual` does not have as written, one line each. */
function fieldDifferences(expected: Fields, actual: Fields): string[] {
  return Object.entries(expected)
    .filter(([field, value]) => !sameValue(value, actual[field]))
    .map(([field, value]) => `${field}: expected ${show(value)}, got ${show(actual[field])}`);
}

/** A record named by its key (instrument, width, time...), so a difference says which one. */
function label(kind: RecordKind, record: Fields): string {
  return RECORD_KIND_DEFINITIONS[kind].primaryKey
    .map((field) => record[field])
    .filter((value) => value !== undefined)
    .map((value) => (value instanceof Date ? value.toISOString() : String(value)))
    .join(" ");
}

/** Written records in a stable order: by time, then by key. */
export function inTimeOrder(kind: RecordKind, records: readonly MarketRecord[]): Fields[] {
  const { timeField } = RECORD_KIND_DEFINITIONS[kind];
  const timeOf = (record: Fields) => {
    const value = record[timeField];
    return value instanceof Date ? value.getTime() : Date.parse(String(value));
  };
  return (records as unknown as Fields[])
    .slice()
    .sort((a, b) => timeOf(a) - timeOf(b) || label(kind, a).localeCompare(label(kind, b)));
}

/** Differences between what a target was written of a kind and what the test expects. */
export function compareRecords(
  where: string,
  kind: RecordKind,
  expected: ExpectedRecords,
  written: readonly Fields[],
): string[] {
  const spec = Array.isArray(expected) ? { records: expected } : expected;
  const differences: string[] = [];
  const at = `${where} ${kind}`;
  if (spec.count !== undefined && written.length !== spec.count)
    differences.push(`${at}: expected ${spec.count} records, got ${written.length}`);
  if (spec.records) {
    if (spec.records.length !== written.length)
      differences.push(`${at}: expected ${spec.records.length} records, got ${written.length}`);
    spec.records.forEach((record, index) => {
      const actual = written[index];
      if (!actual) {
        differences.push(`${at}[${index}]: missing, expected ${JSON.stringify(record)}`);
        return;
      }
      for (const line of fieldDifferences(record, actual))
        differences.push(`${at}[${index}] (${label(kind, actual)}): ${line}`);
    });
    for (const extra of written.slice(spec.records.length))
      differences.push(`${at}: not expected: ${label(kind, extra)}`);
  }
  for (const [index, record] of (spec.contains ?? []).entries()) {
    if (!written.some((actual) => fieldDifferences(record, actual).length === 0))
      differences.push(
        `${at}: none of the ${written.length} records matches contains[${index}] ${JSON.stringify(record)}`,
      );
  }
  if (spec.where) {
    const matches = compileExpression(spec.where);
    for (const actual of written) {
      if (!matches(actual))
        differences.push(`${at} (${label(kind, actual)}): does not satisfy ${spec.where}`);
    }
  }
  return differences;
}

/** Differences between the dead letters of a run and what the test expects. */
export function compareDeadLetters(expected: ExpectedDeadLetters, letters: readonly DeadLetter[]): string[] {
  if (!Array.isArray(expected)) {
    return letters.length === expected.count
      ? []
      : [
          `dead letters: expected ${expected.count}, got ${letters.length}${letters.map((letter) => `\n  ${letter.kind}: ${letter.reason.message}`).join("")}`,
        ];
  }
  const differences: string[] = [];
  if (expected.length !== letters.length)
    differences.push(`dead letters: expected ${expected.length}, got ${letters.length}`);
  expected.forEach((want, index) => {
    const letter = letters[index];
    if (!letter) return;
    const record = (letter.record ?? {}) as Fields;
    const lines = [
      ...(want.kind !== undefined && want.kind !== letter.kind
        ? [`kind: expected ${show(want.kind)}, got ${show(letter.kind)}`]
        : []),
      ...(want.code !== undefined && want.code !== letter.reason.code
        ? [`code: expected ${show(want.code)}, got ${show(letter.reason.code)}`]
        : []),
      ...(want.reason !== undefined && !letter.reason.message.includes(want.reason)
        ? [`reason: expected it to contain ${show(want.reason)}, got ${show(letter.reason.message)}`]
        : []),
      ...fieldDifferences(want.record ?? {}, record).map((line) => `record.${line}`),
    ];
    for (const line of lines) differences.push(`dead letters[${index}]: ${line}`);
  });
  return differences;
}
