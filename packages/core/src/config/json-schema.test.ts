import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { isolatedRegistry, testRegistry } from "./__fixtures__/adapters";
import { pipelineJsonSchema } from "./json-schema";

function validator(schema: object): ValidateFunction {
  // Strict mode refuses unknown keywords, so what compiles here compiles in editors' validators.
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

const goodFile = `
name: prices-to-store
sources:
  - id: gen
    type: test-prices
    config: { coins: [bitcoin, ethereum], count: 100 }
    schedule: { every: 30s }
    kinds: [price]
  - id: mine
    type: ./adapters/my-source.ts
    config: { anything: [1, 2, 3] }
targets:
  - id: db
    type: test-store
    config: { connectionString: "\${DATABASE_URL:-postgres://localhost/market}", pool: { max: 4 } }
  - id: dlq
    type: test-archive
routes:
  - { from: gen, to: [db], kinds: [price] }
delivery:
  batch: { maxRecords: 500, maxWait: 200ms }
  retry: { maxAttempts: 3, initialDelay: 100, maxDelay: 10s }
  deadLetter: { target: dlq }
  maxInFlightRecords: 5000
state: { store: target, target: db }
health: { freshness: { maxAge: 5m, coins: [bitcoin] } }
metrics: { host: 0.0.0.0, port: 9464 }
logging: { level: debug, format: json }
`;

describe("pipeline JSON Schema", () => {
  it("is generated from the zod schemas and the adapters' config schemas", async () => {
    const schema = pipelineJsonSchema(isolatedRegistry());
    await expect(`${JSON.stringify(schema, null, 2)}\n`).toMatchFileSnapshot(
      "./__snapshots__/pipeline.schema.json",
    );
  });

  it("accepts a good pipeline file", () => {
    const validate = validator(pipelineJsonSchema(isolatedRegistry()));
    expect(validate(parse(goodFile)), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each([
    ["a misspelt section", { tagets: [] }, "", "additionalProperties"],
    [
      "an adapter option the adapter does not have",
      { "targets.0.config.pol": 1 },
      "/targets/0/config",
      "additionalProperties",
    ],
    [
      "an adapter option of the wrong type",
      { "sources.0.config.coins": "bitcoin" },
      "/sources/0/config/coins",
      "type",
    ],
    ["an adapter that is not registered", { "targets.1.type": "test-stor" }, "/targets/1/type", "pattern"],
    ["a malformed duration", { "delivery.batch.maxWait": "soon" }, "/delivery/batch/maxWait", "pattern"],
    [
      "a dead-letter destination with both a target and a path",
      { "delivery.deadLetter.path": "x.jsonl" },
      "/delivery/deadLetter",
      "maxProperties",
    ],
    ["an unknown record kind", { "routes.0.kinds.0": "trades" }, "/routes/0/kinds/0", "enum"],
  ])("rejects %s", (_name, change, instancePath, keyword) => {
    const validate = validator(pipelineJsonSchema(isolatedRegistry()));
    const file = parse(goodFile) as Record<string, unknown>;
    for (const [path, value] of Object.entries(change)) setPath(file, path, value);
    expect(validate(file)).toBe(false);
    expect(validate.errors).toContainEqual(expect.objectContaining({ instancePath, keyword }));
  });

  it("describes the built-in adapters' options too, for completion in editors", () => {
    const schema = pipelineJsonSchema(testRegistry()) as { $defs: Record<string, { properties?: object }> };
    expect(Object.keys(schema.$defs)).toEqual(
      expect.arrayContaining(["source-synthetic-config", "target-memory-config", "target-test-store-config"]),
    );
    expect(Object.keys(schema.$defs["source-synthetic-config"]?.properties ?? {})).toEqual(
      expect.arrayContaining(["coins", "count", "seed"]),
    );
  });
});

function setPath(root: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split(".");
  let current: Record<string, unknown> = root;
  for (const key of keys.slice(0, -1)) current = current[key] as Record<string, unknown>;
  current[keys.at(-1) as string] = value;
}
