import { z } from "zod";
import type { AdapterDefinition } from "../adapters/types";
import { type AdapterRegistry, type AdapterRole, defaultRegistry } from "../registry/registry";
import { pipelineFileSchema } from "./schema";

type JsonSchema = { [key: string]: JsonValue };
/** A JSON Schema document (draft 2020-12), as plain JSON. */
export type PipelineJsonSchema = JsonSchema;
type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

// Matches a `type` that names a file or a package rather than a registered adapter.
const PATH_OR_PACKAGE = "^(\\./|\\.\\./|/|file:|@|[A-Za-z]:[\\\\/])|/";

/**
 * The JSON Schema (2020-12) of pipeline files, generated from the zod schemas. Each
 * `sources[]` / `targets[]` item whose `type` names an adapter of the registry has
 * its `config` checked against that adapter's config schema, so editors complete
 * and check adapter options too. Reference it from a pipeline file:
 *
 *     # yaml-language-server: $schema=./node_modules/@qicore/core/schemas/pipeline.schema.json
 */
export function pipelineJsonSchema(registry: AdapterRegistry = defaultRegistry()): PipelineJsonSchema {
  const schema = z.toJSONSchema(pipelineFileSchema, {
    io: "input",
    target: "draft-2020-12",
    unrepresentable: "any",
  }) as JsonSchema;
  const definitions: Record<string, JsonValue> = {};
  const properties = schema.properties as Record<string, JsonSchema>;
  const describe = (item: JsonSchema, role: AdapterRole) =>
    describeAdapterItems(item, role, registry, definitions);
  describe((properties.sources as { items: JsonSchema }).items, "source");
  describe((properties.targets as { items: JsonSchema }).items, "target");
  // Processors are listed by sources and by routes.
  for (const section of ["sources", "routes"] as const) {
    const item = (properties[section] as { items: JsonSchema }).items;
    const processors = (item.properties as Record<string, JsonSchema>).processors as
      | { items?: JsonSchema }
      | undefined;
    if (processors?.items) describe(processors.items, "processor");
  }
  return withoutUnionTypes({
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "QiCore pipeline",
    description: "A QiCore pipeline file: sources, targets, routes and delivery settings.",
    ...withoutKey(schema, "$schema"),
    ...(Object.keys(definitions).length > 0
      ? { $defs: { ...((schema.$defs as JsonSchema | undefined) ?? {}), ...definitions } }
      : {}),
  }) as PipelineJsonSchema;
}

/**
 * Gives the items of one adapter list (sources, targets, processors) their `type` choices and,
 * for each registered adapter, a branch that checks `config` against its own schema.
 */
function describeAdapterItems(
  item: JsonSchema,
  role: AdapterRole,
  registry: AdapterRegistry,
  definitions: Record<string, JsonValue>,
): void {
  const types = registry.types(role);
  const names = [
    ...new Set(types.filter((entry) => entry.type === entry.definition.name).map((entry) => entry.type)),
  ];
  const typeProperty = (item.properties as Record<string, JsonSchema>).type as JsonSchema;
  typeProperty.anyOf = [
    ...(names.length > 0
      ? [{ enum: names, description: `A registered ${role} adapter.` } satisfies JsonSchema]
      : []),
    { pattern: PATH_OR_PACKAGE, description: "A file path (./my-adapter.ts) or a package name." },
  ];
  if (names.length > 0) typeProperty.examples = names;
  const branches: JsonValue[] = [];
  const keys = new Map<AdapterDefinition, string>();
  for (const { type, definition } of types) {
    // One definition of the config per adapter, whichever names (name, path) point at it.
    let key = keys.get(definition);
    if (key === undefined) {
      key = `${role}-${definition.name}-config`;
      keys.set(definition, key);
      definitions[key] ??= adapterConfigSchema(definition, key, definitions);
    }
    branches.push({
      if: { properties: { type: { const: type } }, required: ["type"] },
      // biome-ignore lint/suspicious/noThenProperty: `then` is the JSON Schema keyword of an if/then branch.
      then: {
        ...(definition.description ? { description: definition.description } : {}),
        properties: { config: { $ref: `#/$defs/${key}` } },
      },
    });
  }
  if (branches.length > 0) item.allOf = branches;
}

/**
 * Rewrites `type: ["string", "number"]` (what zod writes for a union of plain types) as an
 * `anyOf` of single types: strict validators (Ajv's default strict mode) refuse union types,
 * and an editor schema must compile in every validator.
 */
function withoutUnionTypes(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(withoutUnionTypes);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value).map(([name, inner]) => [name, withoutUnionTypes(inner)] as const);
  const object: JsonSchema = Object.fromEntries(entries);
  const type = object.type;
  if (!Array.isArray(type) || type.length < 2) return object;
  const { type: _union, ...rest } = object;
  const branches = type.map((single) => ({ type: single }));
  if (rest.anyOf === undefined) return { ...rest, anyOf: branches };
  return { ...withoutKey(rest, "anyOf"), allOf: [{ anyOf: rest.anyOf }, { anyOf: branches }] };
}

/**
 * An adapter's config schema as JSON Schema, its own `$defs` moved up to the
 * document's under `<key>-<name>` so `$ref`s still resolve inside the pipeline schema.
 */
function adapterConfigSchema(
  adapter: AdapterDefinition,
  key: string,
  definitions: Record<string, JsonValue>,
): JsonValue {
  let converted: JsonSchema;
  try {
    converted = z.toJSONSchema(adapter.configSchema, {
      io: "input",
      target: "draft-2020-12",
      unrepresentable: "any",
    }) as JsonSchema;
  } catch {
    return { type: "object", description: `Options of ${adapter.name} (its schema has no JSON form).` };
  }
  const rewrite = (value: JsonValue): JsonValue => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(
      Object.entries(value).map(([name, inner]) => {
        if (name !== "$ref" || typeof inner !== "string") return [name, rewrite(inner)];
        if (inner === "#") return [name, `#/$defs/${key}`];
        return [name, inner.replace(/^#\/\$defs\//, `#/$defs/${key}-`)];
      }),
    );
  };
  const own = (converted.$defs as JsonSchema | undefined) ?? {};
  for (const [name, inner] of Object.entries(own)) definitions[`${key}-${name}`] = rewrite(inner);
  return rewrite(withoutKey(withoutKey(converted, "$schema"), "$defs"));
}

function withoutKey(schema: JsonSchema, key: string): JsonSchema {
  const { [key]: _removed, ...rest } = schema;
  return rest;
}
