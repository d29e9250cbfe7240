import type { ColumnModel, MarketRecord, TableModel } from "@qicore/core";

/** A value as bound to a statement or written to COPY: decimals and times stay strings. */
export type SqlValue = string | number | boolean | null;

/** A batch turned into columns, duplicates of a primary key merged (the last one wins). */
export interface EncodedBatch {
  /** One array per column, in the table model's column order. */
  columns: SqlValue[][];
  /** For each row, the indexes in the original batch it stands for (a duplicate key adds its index). */
  sources: number[][];
  size: number;
}

function columnValue(record: MarketRecord, column: ColumnModel): SqlValue {
  const value = (record as unknown as Record<string, unknown>)[column.field];
  if (value === undefined || value === null) return null;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/**
 * Columns of a batch, ready for `unnest` or COPY. Postgres refuses an
 * `INSERT ... ON CONFLICT DO UPDATE` that touches one key twice, so a key seen again
 * replaces the earlier row: the last record wins, as two upserts in order would.
 */
export function encodeBatch(model: TableModel, records: readonly MarketRecord[]): EncodedBatch {
  const columnCount = model.columns.length;
  const keyPositions = model.primaryKey.map((key) =>
    model.columns.findIndex((column) => column.column === key),
  );
  const columns: SqlValue[][] = Array.from({ length: columnCount }, () => []);
  const sources: number[][] = [];
  const rowOfKey = new Map<string, number>();
  for (let index = 0; index < records.length; index++) {
    const record = records[index] as MarketRecord;
    const values = model.columns.map((column) => columnValue(record, column));
    const key = keyPositions.map((position) => String(values[position])).join("\u0000");
    const existing = rowOfKey.get(key);
    if (existing === undefined) {
      rowOfKey.set(key, sources.length);
      sources.push([index]);
      for (let column = 0; column < columnCount; column++) {
        (columns[column] as SqlValue[]).push(values[column] as SqlValue);
      }
    } else {
      (sources[existing] as number[]).push(index);
      for (let column = 0; column < columnCount; column++) {
        (columns[column] as SqlValue[])[existing] = values[column] as SqlValue;
      }
    }
  }
  return { columns, sources, size: sources.length };
}

/** Rows `start` to `end` (exclusive) of a batch. */
export function sliceBatch(batch: EncodedBatch, start: number, end: number): EncodedBatch {
  return {
    columns: batch.columns.map((column) => column.slice(start, end)),
    sources: batch.sources.slice(start, end),
    size: Math.max(0, Math.min(end, batch.size) - start),
  };
}

// COPY's text format: tab-separated, `\N` for NULL, backslash escapes.
function copyText(value: SqlValue): string {
  if (value === null) return "\\N";
  if (typeof value === "boolean") return value ? "t" : "f";
  if (typeof value === "number") return String(value);
  if (!/[\\\t\n\r]/.test(value)) return value;
  return value.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

/** The batch as COPY text, in pieces of about `rowsPerChunk` lines. */
export function* copyChunks(batch: EncodedBatch, rowsPerChunk = 2_000): Generator<string> {
  const columnCount = batch.columns.length;
  let lines: string[] = [];
  const cells: string[] = new Array(columnCount);
  for (let row = 0; row < batch.size; row++) {
    for (let column = 0; column < columnCount; column++) {
      cells[column] = copyText((batch.columns[column] as SqlValue[])[row] as SqlValue);
    }
    lines.push(cells.join("\t"));
    if (lines.length >= rowsPerChunk) {
      yield `${lines.join("\n")}\n`;
      lines = [];
    }
  }
  if (lines.length > 0) yield `${lines.join("\n")}\n`;
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
