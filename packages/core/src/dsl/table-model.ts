import { z } from "zod";
import { RECORD_KIND_DEFINITIONS, type RecordKind } from "./kinds";
import type { ColumnMeta } from "./primitives";

/** One column of a record's table, derived from one field of its zod schema. */
export interface ColumnModel {
  /** camelCase field name in the record. */
  field: string;
  /** snake_case column name. */
  column: string;
  /** SQL type, e.g. `NUMERIC(20,8)`, `TIMESTAMPTZ`, `VARCHAR(50)`. */
  sqlType: string;
  nullable: boolean;
  /** How the value travels in JSON and in records: decimals and times are strings. */
  valueType: "string" | "decimal" | "timestamp" | "integer" | "boolean";
  description?: string;
}

export interface TableModel {
  kind: RecordKind;
  table: string;
  columns: ColumnModel[];
  /** Column partitioning the hypertable. */
  timeColumn: string;
  primaryKey: string[];
  /** Each index as column names, `DESC` kept where given. */
  indexes: { name: string; columns: string[] }[];
}

export function snakeCase(field: string): string {
  return field
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([a-zA-Z])(\d+)/g, "$1_$2")
    .toLowerCase();
}

interface Unwrapped {
  schema: z.ZodType;
  nullable: boolean;
  /** Metadata of the wrapped schema and of every wrapper, the outer ones winning. */
  meta: (ColumnMeta & { format?: string }) | undefined;
}

// Optional, nullable and default wrappers say whether the column may be NULL; the
// metadata (SQL type) usually sits on the wrapped schema, but `.default(x).meta(...)`
// puts it on a wrapper, so every level is read.
function unwrap(schema: z.ZodType): Unwrapped {
  let current = schema;
  let nullable = false;
  const metas: (ColumnMeta & { format?: string })[] = [];
  for (;;) {
    const meta = metaOf(current);
    if (meta) metas.unshift(meta);
    const def = (current as unknown as { _zod: { def: { type: string; innerType?: z.ZodType } } })._zod.def;
    if (def.type === "optional" || def.type === "nullable") {
      nullable = true;
      current = def.innerType as z.ZodType;
    } else if (def.type === "default" || def.type === "prefault") {
      current = def.innerType as z.ZodType;
    } else {
      return { schema: current, nullable, meta: metas.length > 0 ? Object.assign({}, ...metas) : undefined };
    }
  }
}

function metaOf(schema: z.ZodType): (ColumnMeta & { format?: string }) | undefined {
  return z.globalRegistry.get(schema) as (ColumnMeta & { format?: string }) | undefined;
}

function valueTypeOf(
  schema: z.ZodType,
  meta: (ColumnMeta & { format?: string }) | undefined,
): ColumnModel["valueType"] {
  if (meta?.format === "decimal") return "decimal";
  if (meta?.format === "date-time") return "timestamp";
  const type = (schema as unknown as { _zod: { def: { type: string } } })._zod.def.type;
  if (type === "boolean") return "boolean";
  if (type === "number") return "integer";
  return "string";
}

const modelCache = new Map<RecordKind, TableModel>();

/** The table a kind of record is stored in, derived from its zod schema. */
export function tableModel(kind: RecordKind): TableModel {
  const cached = modelCache.get(kind);
  if (cached) return cached;
  const definition = RECORD_KIND_DEFINITIONS[kind];
  const shape = (definition.schema as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
  const columns: ColumnModel[] = Object.entries(shape).map(([field, fieldSchema]) => {
    const { schema, nullable, meta } = unwrap(fieldSchema);
    if (!meta?.sqlType) throw new Error(`field ${kind}.${field} has no sqlType metadata`);
    return {
      field,
      column: meta.column ?? snakeCase(field),
      sqlType: meta.sqlType,
      nullable: nullable && !meta.alwaysInOutput,
      valueType: valueTypeOf(schema, meta),
      ...(meta.description ? { description: meta.description } : {}),
    };
  });
  const columnOf = (field: string) => {
    const [name = "", direction] = field.split(" ");
    const column = columns.find((candidate) => candidate.field === name);
    if (!column) throw new Error(`${kind}: unknown field ${name}`);
    return direction ? `${column.column} ${direction}` : column.column;
  };
  const model: TableModel = {
    kind,
    table: definition.table,
    columns,
    timeColumn: columnOf(definition.timeField),
    primaryKey: definition.primaryKey.map(columnOf),
    indexes: definition.indexes.map((fields) => {
      const indexColumns = fields.map(columnOf);
      const name = `idx_${definition.table}_${indexColumns.map((column) => column.split(" ")[0]).join("_")}`;
      return { name, columns: indexColumns };
    }),
  };
  modelCache.set(kind, model);
  return model;
}
