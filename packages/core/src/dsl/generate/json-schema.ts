import { z } from "zod";
import { RECORD_KIND_DEFINITIONS, RECORD_KINDS, type RecordKind } from "../kinds";
import { MAX_TIMESTAMP_MS } from "../primitives";

/** A JSON Schema document (draft 2020-12), as produced by zod's converter. */
export type JsonSchema = z.core.JSONSchema.BaseSchema;

/**
 * Which side of a record's normalisation a schema describes.
 * - `input`: what producers may send (decimals as numbers or decimal strings, times as
 *   ISO-8601 with an offset or epoch milliseconds, defaulted fields optional).
 * - `output`: the canonical wire form, as found in Kafka message values (decimals as
 *   strings, times as ISO-8601 UTC strings, every defaulted field present).
 */
export type SchemaIo = "input" | "output";

export interface RecordJsonSchemaOptions {
  /** Defaults to `output`. */
  io?: SchemaIo;
}

/** One generated record schema with the names it is published under. */
export interface RecordJsonSchemaEntry {
  kind: RecordKind;
  io: SchemaIo;
  /** The schema's `$id`. */
  id: string;
  /** File name under `@qicore/core/schemas/`, the last segment of `id`. */
  fileName: string;
  schema: JsonSchema;
}

/** Base URI of the published record schemas. */
export const SCHEMA_BASE_URI = "https://qicore.dev/schemas/";

const IO_VALUES: readonly SchemaIo[] = ["output", "input"];

const IO_DESCRIPTION: Record<SchemaIo, string> = {
  output:
    "Canonical wire form, as carried in Kafka message values: decimals are strings, times are ISO-8601 UTC strings with milliseconds.",
  input:
    "What producers may send before normalisation: decimals as JSON numbers or decimal strings, times as ISO-8601 strings with an offset or epoch milliseconds; fields with a default may be left out.",
};

/** `crypto-price`, `crypto-ohlcv`, `crypto-market-analytics`: from the schema's `id` metadata. */
export function recordSchemaName(kind: RecordKind): string {
  const id = recordMeta(kind).id;
  return id
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1-$2")
    .toLowerCase();
}

/** File name of a record schema, e.g. `crypto-price.v1.json` or `crypto-price.input.v1.json`. */
export function recordSchemaFileName(kind: RecordKind, io: SchemaIo = "output"): string {
  const version = RECORD_KIND_DEFINITIONS[kind].schemaVersion;
  return `${recordSchemaName(kind)}${io === "input" ? ".input" : ""}.v${version}.json`;
}

/** `$id` of a record schema, e.g. `https://qicore.dev/schemas/crypto-price.v1.json`. */
export function recordSchemaId(kind: RecordKind, io: SchemaIo = "output"): string {
  return `${SCHEMA_BASE_URI}${recordSchemaFileName(kind, io)}`;
}

/**
 * The JSON Schema (draft 2020-12) of one kind of record, generated from its zod schema.
 *
 * Decimal fields become strings with a pattern that also bounds the integer digits to
 * what the NUMERIC column holds (output), or a number-or-decimal-string (input). Time
 * fields become `format: date-time` strings (output) or date-time strings or epoch
 * milliseconds (input); the JavaScript `Date` zod also accepts has no JSON form and is
 * covered by the date-time string a `Date` serialises to. SQL hints kept in the zod
 * metadata are left out, so strict validators (Ajv's strict mode) accept the schema.
 */
export function recordJsonSchema(kind: RecordKind, options: RecordJsonSchemaOptions = {}): JsonSchema {
  const io = options.io ?? "output";
  const meta = recordMeta(kind);
  const generated = z.toJSONSchema(RECORD_KIND_DEFINITIONS[kind].schema, {
    target: "draft-2020-12",
    io,
    unrepresentable: representDate,
    override: ({ zodSchema, jsonSchema }) => rewriteField(zodSchema as unknown as z.ZodType, jsonSchema, io),
  });
  const body = inlineRootReference(generated);
  liftNullableDescriptions(body);
  if (io === "output") requireDerivedFields(kind, body);
  const { $schema: _schema, $id: _id, title: _title, description: _description, ...rest } = body;
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: recordSchemaId(kind, io),
    title: io === "input" ? `${meta.title} (input)` : meta.title,
    description: `${meta.description} ${IO_DESCRIPTION[io]}`,
    ...rest,
  };
}

/** Every record schema, output and input, in a stable order (kinds as in `RECORD_KINDS`). */
export function allRecordJsonSchemas(): RecordJsonSchemaEntry[] {
  return RECORD_KINDS.flatMap((kind) =>
    IO_VALUES.map((io) => ({
      kind,
      io,
      id: recordSchemaId(kind, io),
      fileName: recordSchemaFileName(kind, io),
      schema: recordJsonSchema(kind, { io }),
    })),
  );
}

interface RecordMeta {
  id: string;
  title: string;
  description: string;
}

function recordMeta(kind: RecordKind): RecordMeta {
  const meta = z.globalRegistry.get(RECORD_KIND_DEFINITIONS[kind].schema) as Partial<RecordMeta> | undefined;
  if (!meta?.id || !meta.title || !meta.description) {
    throw new Error(`the ${kind} record schema needs id, title and description metadata`);
  }
  return { id: meta.id, title: meta.title, description: meta.description };
}

// z.date() only appears inside utcTimestamp(), whose JSON form rewriteField replaces
// wholesale; mapping it to what JSON.stringify makes of a Date keeps any other use honest.
const representDate: z.core.UnrepresentableHandler = ({ zodSchema }) => {
  const type = (zodSchema as unknown as { _zod: { def: { type: string } } })._zod.def.type;
  if (type === "date") return { type: "string", format: "date-time" };
  // A transform's output has no JSON form; the decimal and timestamp transforms are
  // replaced by rewriteField, and anything else should fail loudly.
  if (type === "transform") return {};
  return "throw";
};

type FieldMeta = { sqlType?: string; column?: string; format?: string; description?: string };

function rewriteField(zodSchema: z.ZodType, jsonSchema: JsonSchema, io: SchemaIo): void {
  const meta = z.globalRegistry.get(zodSchema) as FieldMeta | undefined;
  if (meta?.format === "decimal") replace(jsonSchema, decimalSchema(meta, io));
  else if (meta?.format === "date-time") replace(jsonSchema, timestampSchema(meta, io));
  // SQL hints are for the DDL generator; unknown keywords make strict validators refuse the schema.
  delete jsonSchema.sqlType;
  delete jsonSchema.column;
  delete jsonSchema.alwaysInOutput;
}

// A field producers may leave out but the schema always fills in (a record's instrument,
// defaulted to its coin id) is present in every output record.
function requireDerivedFields(kind: RecordKind, schema: JsonSchema): void {
  const shape = (RECORD_KIND_DEFINITIONS[kind].schema as unknown as z.ZodObject).shape as Record<
    string,
    z.ZodType
  >;
  const derived = Object.entries(shape)
    .filter(
      ([, field]) =>
        (z.globalRegistry.get(field) as { alwaysInOutput?: boolean } | undefined)?.alwaysInOutput,
    )
    .map(([name]) => name);
  if (derived.length === 0) return;
  const order = Object.keys(shape);
  const required = new Set([...(schema.required ?? []), ...derived]);
  schema.required = order.filter((name) => required.has(name));
}

function replace(target: JsonSchema, replacement: JsonSchema): void {
  for (const key of Object.keys(target)) delete target[key];
  Object.assign(target, replacement);
}

function decimalSchema(meta: FieldMeta, io: SchemaIo): JsonSchema {
  const { precision, scale } = numericParts(meta.sqlType);
  const integerDigits = precision - scale;
  const description = meta.description ?? "";
  if (io === "output") {
    return {
      description: `${description} Decimal string, NUMERIC(${precision},${scale}).`.trim(),
      type: "string",
      // Leading zeros do not count towards the integer digits, as in the zod check.
      pattern: `^-?0*\\d{1,${integerDigits}}(?:\\.\\d+)?$`,
    };
  }
  const limit = 10 ** integerDigits;
  return {
    description:
      `${description} A JSON number or a decimal string (exponent allowed); at most ${integerDigits} integer digits.`.trim(),
    anyOf: [
      { type: "number", exclusiveMinimum: -limit, exclusiveMaximum: limit },
      { type: "string", pattern: "^\\s*-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?\\s*$" },
    ],
  };
}

function numericParts(sqlType: string | undefined): { precision: number; scale: number } {
  const match = /^NUMERIC\((\d+),(\d+)\)$/.exec(sqlType ?? "");
  if (!match) throw new Error(`decimal field with SQL type ${String(sqlType)}, expected NUMERIC(p,s)`);
  return { precision: Number(match[1]), scale: Number(match[2]) };
}

function timestampSchema(meta: FieldMeta, io: SchemaIo): JsonSchema {
  const description = meta.description ?? "";
  if (io === "output") {
    return {
      description: `${description} ISO-8601 UTC with milliseconds, e.g. 2024-01-01T00:00:00.000Z.`.trim(),
      type: "string",
      format: "date-time",
      pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$",
    };
  }
  return {
    description:
      `${description} An ISO-8601 date-time with an offset (Z or ±hh:mm), or epoch milliseconds.`.trim(),
    anyOf: [
      { type: "string", format: "date-time" },
      { type: "integer", minimum: 0, maximum: MAX_TIMESTAMP_MS },
    ],
  };
}

// A schema with an `id` in its metadata comes out as `{ $ref: "#/$defs/<id>", $defs }`.
// A published record schema is easier to read, and to reference by `$id`, with the
// object at its root.
function inlineRootReference(generated: JsonSchema): JsonSchema {
  const reference = generated.$ref;
  if (typeof reference !== "string") return generated;
  const name = reference.replace(/^#\/\$defs\//, "");
  const { $defs = {}, $ref: _ref, ...root } = generated;
  const { [name]: definition, ...otherDefinitions } = $defs;
  if (!definition || typeof definition !== "object") return generated;
  const inlined: JsonSchema = { ...root, ...definition };
  if (Object.keys(otherDefinitions).length > 0) inlined.$defs = otherDefinitions;
  return inlined;
}

// A nullable field comes out as `anyOf: [<field>, { type: "null" }]` with its description
// inside the first branch; documentation tools and editors show the property's own one.
function liftNullableDescriptions(schema: JsonSchema): void {
  for (const property of Object.values(schema.properties ?? {})) {
    if (typeof property !== "object" || property.description !== undefined || !property.anyOf) continue;
    const described = property.anyOf.find((branch) => typeof branch.description === "string");
    if (!described) continue;
    // Copies, not edits: zod may hand the same object to every place a schema is reused.
    const { description, ...branchWithoutDescription } = described;
    const { anyOf, ...rest } = property;
    const branches = anyOf.map((branch) => (branch === described ? branchWithoutDescription : branch));
    replace(property, { description, ...rest, anyOf: branches });
  }
}
