import type { ColumnModel, MarketRecord, TableModel } from "@qicore/core/adapter";

/** A value as bound to a statement or written to COPY: decimals and times stay strings. */
export type SqlValue = string | number | boolean | null;

/**
 * A batch with duplicate primary keys merged: the rows to write, as indexes into the
 * records. Postgres refuses an `INSERT ... ON CONFLICT DO UPDATE` that touches one key
 * twice, so a key seen again replaces the earlier record: the last one wins, as two
 * upserts in order would.
 */
export interface EncodedBatch {
  records: readonly MarketRecord[];
  /** For each row, the index in `records` of the record written. */
  rows: number[];
  /** Earlier indexes a written record replaced, by the written record's index; usually empty. */
  merged: ReadonlyMap<number, readonly number[]>;
  size: number;
}

interface Accessors {
  fields: string[];
  keyFields: string[];
}

const accessorCache = new WeakMap<TableModel, Accessors>();

function accessorsOf(model: TableModel): Accessors {
  let accessors = accessorCache.get(model);
  if (!accessors) {
    const fieldOf = (column: string) =>
      model.columns.find((entry) => entry.column === column)?.field as string;
    accessors = {
      fields: model.columns.map((column) => column.field),
      keyFields: model.primaryKey.map(fieldOf),
    };
    accessorCache.set(model, accessors);
  }
  return accessors;
}

function normalise(value: unknown): SqlValue {
  if (value === undefined || value === null) return null;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/** Finds the rows of a batch, merging records with the same primary key. */
export function encodeBatch(model: TableModel, records: readonly MarketRecord[]): EncodedBatch {
  const { keyFields } = accessorsOf(model);
  const rows: number[] = [];
  const merged = new Map<number, number[]>();
  const rowOfKey = new Map<string, number>();
  for (let index = 0; index < records.length; index++) {
    const record = records[index] as unknown as Record<string, unknown>;
    let key = "";
    for (const field of keyFields) {
      const value = record[field];
      key += `${value instanceof Date ? value.toISOString() : String(value)}\u0000`;
    }
    const row = rowOfKey.get(key);
    if (row === undefined) {
      rowOfKey.set(key, rows.length);
      rows.push(index);
      continue;
    }
    const replaced = rows[row] as number;
    const earlier = merged.get(replaced) ?? [];
    merged.delete(replaced);
    earlier.push(replaced);
    merged.set(index, earlier);
    rows[row] = index;
  }
  return { records, rows, merged, size: rows.length };
}

/** Rows `start` to `end` (exclusive) of a batch. */
export function sliceBatch(batch: EncodedBatch, start: number, end: number): EncodedBatch {
  const rows = batch.rows.slice(start, end);
  return { records: batch.records, rows, merged: batch.merged, size: rows.length };
}

/** The indexes in the original records a row stands for, in order. */
export function sourcesOf(batch: EncodedBatch, row: number): number[] {
  const index = batch.rows[row] as number;
  return [...(batch.merged.get(index) ?? []), index];
}

/** One array per column, in the table model's column order, for `unnest`. */
export function columnsOf(model: TableModel, batch: EncodedBatch): SqlValue[][] {
  const { fields } = accessorsOf(model);
  return fields.map((field) =>
    batch.rows.map((index) => normalise((batch.records[index] as unknown as Record<string, unknown>)[field])),
  );
}

const NEEDS_ESCAPE = /[\\\t\n\r]/;

// COPY's text format: tab-separated, `\N` for NULL, backslash escapes.
function copyText(value: unknown): string {
  if (value === undefined || value === null) return "\\N";
  if (typeof value === "string") {
    if (!NEEDS_ESCAPE.test(value)) return value;
    return value.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
  }
  if (typeof value === "boolean") return value ? "t" : "f";
  if (value instanceof Date) return value.toISOString();
  return copyText(String(value));
}

/**
 * The batch as COPY text, in pieces of about `rowsPerChunk` lines. Lazy, so the text is
 * made while the database reads the previous piece.
 */
export function* copyChunks(model: TableModel, batch: EncodedBatch, rowsPerChunk = 2_000): Generator<string> {
  const { fields } = accessorsOf(model);
  const last = fields.length - 1;
  let text = "";
  let lines = 0;
  for (const index of batch.rows) {
    const record = batch.records[index] as unknown as Record<string, unknown>;
    for (let column = 0; column < last; column++) text += `${copyText(record[fields[column] as string])}\t`;
    text += `${copyText(record[fields[last] as string])}\n`;
    if (++lines >= rowsPerChunk) {
      yield text;
      text = "";
      lines = 0;
    }
  }
  if (text.length > 0) yield text;
}

/** The array type a column's values are bound as for `unnest`: no length or precision, so the insert's own cast checks them. */
export function arrayType(column: ColumnModel): string {
  const base = column.sqlType
    .replace(/\(.*\)$/, "")
    .trim()
    .toUpperCase();
  switch (base) {
    case "VARCHAR":
    case "CHARACTER VARYING":
    case "TEXT":
      return "text[]";
    case "NUMERIC":
    case "DECIMAL":
      return "numeric[]";
    case "TIMESTAMPTZ":
      return "timestamptz[]";
    case "INTEGER":
    case "INT":
    case "INT4":
      return "int4[]";
    case "BIGINT":
      return "int8[]";
    case "BOOLEAN":
      return "bool[]";
    default:
      return `${base.toLowerCase()}[]`;
  }
}
