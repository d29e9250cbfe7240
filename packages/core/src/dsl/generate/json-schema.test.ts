import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { SyntheticGenerator, syntheticConfigSchema } from "../../builtin/synthetic-source";
import { RECORD_KIND_DEFINITIONS, RECORD_KINDS, type RecordKind } from "../kinds";
import { validateRecord } from "../validate";
import { allRecordJsonSchemas, recordJsonSchema, recordSchemaId, type SchemaIo } from "./json-schema";

// Strict mode refuses unknown keywords and formats, so a schema that compiles here
// compiles in any standard validator.
function compile(kind: RecordKind, io: SchemaIo): ValidateFunction {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  return ajv.compile(recordJsonSchema(kind, { io }));
}

const priceInput = {
  coinId: "bitcoin",
  symbol: "BTC",
  usdPrice: "12345678901.12345678",
  marketCap: 1.33e12,
  lastUpdated: "2024-03-01T12:00:00+02:00",
  source: "test",
  attribution: "test data",
};

async function syntheticRecords(kind: RecordKind): Promise<unknown[]> {
  const generator = new SyntheticGenerator(
    syntheticConfigSchema.parse({
      coins: ["bitcoin", "cardano", "pepe"],
      count: 30,
      kinds: [kind],
      seed: 11,
    }),
  );
  const records: unknown[] = [];
  for await (const batch of generator.batches(0, new AbortController().signal))
    records.push(...batch.records);
  return records;
}

describe("record JSON Schemas", () => {
  it("match the committed snapshot, so a schema change is a visible diff", async () => {
    const byFile = Object.fromEntries(allRecordJsonSchemas().map((entry) => [entry.fileName, entry.schema]));
    await expect(`${JSON.stringify(byFile, null, 2)}\n`).toMatchFileSnapshot(
      "./__snapshots__/record-json-schemas.json",
    );
  });

  it("are draft 2020-12 documents with distinct ids, titles and descriptions", () => {
    const entries = allRecordJsonSchemas();
    expect(entries).toHaveLength(RECORD_KINDS.length * 2);
    expect(new Set(entries.map((entry) => entry.id)).size).toBe(entries.length);
    for (const entry of entries) {
      expect(entry.schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
      expect(entry.schema.$id).toBe(entry.id);
      expect(entry.id.endsWith(`/${entry.fileName}`)).toBe(true);
      expect(entry.schema.title).toEqual(expect.any(String));
      expect(entry.schema.description).toEqual(expect.any(String));
      expect(entry.schema.type).toBe("object");
      expect(entry.schema.additionalProperties).toBe(false);
    }
    expect(recordSchemaId("price")).toBe("https://qicore.dev/schemas/crypto-price.v2.json");
    expect(recordSchemaId("trade")).toBe("https://qicore.dev/schemas/crypto-trade.v1.json");
    expect(recordSchemaId("analytics", "input")).toBe(
      "https://qicore.dev/schemas/crypto-market-analytics.input.v1.json",
    );
  });

  it("compile in Ajv's strict mode: no SQL hints or unknown formats leak into them", () => {
    for (const kind of RECORD_KINDS) {
      for (const io of ["input", "output"] as const) expect(() => compile(kind, io)).not.toThrow();
    }
  });

  it("list every schema field, with the defaulted ones required only in the output", () => {
    for (const kind of RECORD_KINDS) {
      const fields = Object.keys(
        (RECORD_KIND_DEFINITIONS[kind].schema as unknown as { shape: Record<string, unknown> }).shape,
      );
      const output = recordJsonSchema(kind, { io: "output" });
      const input = recordJsonSchema(kind, { io: "input" });
      expect(Object.keys(output.properties ?? {})).toEqual(fields);
      expect(Object.keys(input.properties ?? {})).toEqual(fields);
      expect(output.required).toContain(RECORD_KIND_DEFINITIONS[kind].timeField);
    }
    expect(recordJsonSchema("price", { io: "output" }).required).toContain("exchangeId");
    expect(recordJsonSchema("price", { io: "input" }).required).not.toContain("exchangeId");
  });

  it("output schema accepts normalised records of every kind, from validation and from the synthetic source", async () => {
    const validatePrice = compile("price", "output");
    const normalized = validateRecord("price", priceInput);
    if (!normalized.ok) throw normalized.error;
    expect(validatePrice(normalized.value), JSON.stringify(validatePrice.errors)).toBe(true);
    for (const kind of RECORD_KINDS) {
      const validate = compile(kind, "output");
      const records = await syntheticRecords(kind);
      expect(records.length).toBeGreaterThan(0);
      for (const record of records) expect(validate(record), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it("output schema rejects records that are not in the canonical form", () => {
    const validate = compile("price", "output");
    const normalized = validateRecord("price", priceInput);
    if (!normalized.ok) throw normalized.error;
    const good = normalized.value;
    const rejected = {
      "a number price": { ...good, usdPrice: 12.5 },
      "an exponent in a decimal": { ...good, usdPrice: "1.5e3" },
      "13 integer digits in NUMERIC(20,8)": { ...good, usdPrice: "1234567890123.5" },
      "a time with an offset": { ...good, lastUpdated: "2024-03-01T12:00:00+02:00" },
      "epoch milliseconds": { ...good, lastUpdated: 1_700_000_000_000 },
      "a missing defaulted field": { ...good, exchangeId: undefined },
      "an unknown field": { ...good, extra: true },
      "an upper-case coin id": { ...good, coinId: "Bitcoin" },
    };
    for (const [what, record] of Object.entries(rejected)) {
      expect(validate(JSON.parse(JSON.stringify(record))), what).toBe(false);
    }
  });

  it("input schema agrees with zod on what a producer may send", () => {
    const validate = compile("price", "input");
    const cases: [string, Record<string, unknown>, boolean][] = [
      ["the example", priceInput, true],
      [
        "number prices and epoch ms",
        { ...priceInput, usdPrice: 61000.5, lastUpdated: 1_700_000_000_000 },
        true,
      ],
      ["decimal strings with exponent", { ...priceInput, usdPrice: "1.5e-7", btcPrice: null }, true],
      ["a Date, as JSON carries it", { ...priceInput, lastUpdated: new Date(1_700_000_000_000) }, true],
      ["a padded decimal string", { ...priceInput, usdPrice: " 12.5 " }, true],
      ["a decimal word", { ...priceInput, usdPrice: "twelve" }, false],
      ["a time without offset", { ...priceInput, lastUpdated: "2024-03-01T12:00:00" }, false],
      ["negative epoch ms", { ...priceInput, lastUpdated: -1 }, false],
      ["epoch ms after year 9999", { ...priceInput, lastUpdated: 300_000_000_000_000 }, false],
      ["a number too large for NUMERIC(20,8)", { ...priceInput, usdPrice: 1e12 }, false],
      ["a missing price", { ...priceInput, usdPrice: undefined }, false],
      ["an unknown field", { ...priceInput, extra: 1 }, false],
    ];
    for (const [what, input, expected] of cases) {
      const json = JSON.parse(JSON.stringify(input));
      expect(validateRecord("price", json).ok, `zod: ${what}`).toBe(expected);
      expect(validate(json), `schema: ${what}`).toBe(expected);
    }
  });

  it("describe the JavaScript Date zod accepts as the date-time string it serialises to", () => {
    const lastUpdated = recordJsonSchema("price", { io: "input" }).properties?.lastUpdated;
    expect(lastUpdated).toMatchObject({
      anyOf: [{ type: "string", format: "date-time" }, { type: "integer" }],
    });
    expect(JSON.stringify(lastUpdated)).not.toContain("{}");
  });

  it("keep a decimal exact through validation: 12345678901.12345678 stays that string", () => {
    const result = validateRecord("price", { ...priceInput, usdPrice: "12345678901.12345678" });
    if (!result.ok) throw result.error;
    expect(result.value.usdPrice).toBe("12345678901.12345678");
    expect(typeof result.value.usdPrice).toBe("string");
    // As a JavaScript number it would not survive: this is why the wire form is a string.
    expect(String(Number("12345678901.12345678"))).not.toBe("12345678901.12345678");
    expect(compile("price", "output")(result.value)).toBe(true);
  });
});
