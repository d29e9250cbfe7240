import { z } from "zod";
import { RECORD_KIND_DEFINITIONS, RECORD_KINDS, type RecordKind } from "../kinds";
import { type ColumnModel, tableModel } from "../table-model";

interface ZodInternals {
  _zod: { def: { type: string; innerType?: z.ZodType; defaultValue?: unknown }; optout?: "optional" };
}

/**
 * TypeScript declarations (a `.d.ts` text) of the records in their canonical form, the
 * form they have in Kafka messages and after validation: decimals and times are strings.
 * For users of other tools who want the types without depending on zod or the core.
 */
export function generateTypeDeclarations(): string {
  const parts = [
    [
      "// QiCore record types, generated from the DSL's zod schemas by @qicore/core. Do not edit:",
      "// regenerate with `qicore schema types`.",
      "// Canonical form: decimals are strings (exact, for NUMERIC columns), times are ISO-8601 UTC strings.",
    ].join("\n"),
    ...RECORD_KINDS.map(recordInterface),
    recordKindTypes(),
  ];
  return `${parts.join("\n\n")}\n`;
}

/** The interface name of a kind's record, from its schema's `id` metadata (`CryptoPrice`). */
export function recordTypeName(kind: RecordKind): string {
  const meta = z.globalRegistry.get(RECORD_KIND_DEFINITIONS[kind].schema) as { id?: string } | undefined;
  if (!meta?.id) throw new Error(`the ${kind} record schema has no id metadata`);
  return meta.id;
}

function recordInterface(kind: RecordKind): string {
  const definition = RECORD_KIND_DEFINITIONS[kind];
  const meta = z.globalRegistry.get(definition.schema) as { description?: string } | undefined;
  const shape = (definition.schema as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
  const columns = new Map(tableModel(kind).columns.map((column) => [column.field, column]));
  const lines = [
    docComment(
      [
        meta?.description ?? "",
        `Record kind \`${kind}\`, schema version ${definition.schemaVersion}; stored in table \`${definition.table}\`, sent on topic \`${definition.topic.name}\`.`,
      ],
      "",
    ),
    `export interface ${recordTypeName(kind)} {`,
  ];
  for (const [field, schema] of Object.entries(shape)) {
    const column = columns.get(field);
    if (!column) throw new Error(`${kind}.${field} has no column in the table model`);
    const { optional, nullable, defaultValue } = wrappersOf(schema);
    const notes = [column.description ?? "", valueNote(column)];
    if (defaultValue !== undefined) notes.push(`@default ${JSON.stringify(defaultValue)}`);
    lines.push(docComment(notes, "  "));
    lines.push(
      `  ${field}${optional ? "?" : ""}: ${enumOf(schema) ?? typeOf(column)}${nullable ? " | null" : ""};`,
    );
  }
  lines.push("}");
  return lines.join("\n");
}

function recordKindTypes(): string {
  const entries = RECORD_KINDS.map((kind) => `  ${kind}: ${recordTypeName(kind)};`);
  return [
    "/** The kinds of record a pipeline carries. */",
    `export type RecordKind = ${RECORD_KINDS.map((kind) => JSON.stringify(kind)).join(" | ")};`,
    "",
    "/** The record type of each kind. */",
    "export interface RecordOfKind {",
    ...entries,
    "}",
    "",
    "/** Any record. */",
    "export type MarketRecord = RecordOfKind[RecordKind];",
  ].join("\n");
}

// zod's own `optout` says whether the key may be missing after parsing: `.optional()`
// makes it so, `.default()` does not. Nullability sits on a wrapper further in.
function wrappersOf(schema: z.ZodType): { optional: boolean; nullable: boolean; defaultValue: unknown } {
  const optional = (schema as unknown as ZodInternals)._zod.optout === "optional";
  let nullable = false;
  let defaultValue: unknown;
  let current: z.ZodType | undefined = schema;
  while (current) {
    const def: ZodInternals["_zod"]["def"] = (current as unknown as ZodInternals)._zod.def;
    if (def.type === "nullable") nullable = true;
    if (def.type === "default" && defaultValue === undefined) defaultValue = def.defaultValue;
    current = ["optional", "nullable", "default", "prefault"].includes(def.type) ? def.innerType : undefined;
  }
  return { optional, nullable, defaultValue };
}

/** `"buy" | "sell"` for an enum field (under its optional/nullable wrappers); undefined otherwise. */
function enumOf(schema: z.ZodType): string | undefined {
  let current: z.ZodType | undefined = schema;
  while (current) {
    const def: { type: string; innerType?: z.ZodType; entries?: Record<string, string> } = (
      current as unknown as {
        _zod: { def: { type: string; innerType?: z.ZodType; entries?: Record<string, string> } };
      }
    )._zod.def;
    if (def.type === "enum" && def.entries)
      return Object.values(def.entries)
        .map((value) => JSON.stringify(value))
        .join(" | ");
    current = ["optional", "nullable", "default", "prefault"].includes(def.type) ? def.innerType : undefined;
  }
  return undefined;
}

function typeOf(column: ColumnModel): string {
  if (column.valueType === "integer") return "number";
  if (column.valueType === "boolean") return "boolean";
  return "string";
}

function valueNote(column: ColumnModel): string {
  if (column.valueType === "decimal") return `Decimal string, ${column.sqlType}.`;
  if (column.valueType === "timestamp") return "ISO-8601 UTC, e.g. `2024-01-01T00:00:00.000Z`.";
  return "";
}

function docComment(lines: readonly string[], indent: string): string {
  const text = lines.filter((line) => line.length > 0).map((line) => line.replaceAll("*/", "*\\/"));
  if (text.length === 1) return `${indent}/** ${text[0]} */`;
  return [`${indent}/**`, ...text.map((line) => `${indent} * ${line}`), `${indent} */`].join("\n");
}
