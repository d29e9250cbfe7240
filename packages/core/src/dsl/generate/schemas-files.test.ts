import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { schemaFiles } from "./schema-files";

// The files ship in the package (`@qicore/core/schemas/*`); this keeps them in step with the DSL.
const packageRoot = new URL("../../../", import.meta.url);
const REGENERATE = "run `pnpm --filter @qicore/core gen:schemas` and commit the result";

describe("committed schema files", () => {
  const files = schemaFiles();

  it("include the record JSON Schemas, schema.sql and topics.yml", () => {
    const paths = files.map((file) => file.path);
    expect(paths).toContain("schemas/crypto-price.v2.json");
    expect(paths).toContain("schemas/crypto-price.input.v2.json");
    expect(paths).toContain("schemas/crypto-quote.v1.json");
    expect(paths).toContain("schemas/schema.sql");
    expect(paths).toContain("schemas/topics.yml");
  });

  for (const file of files) {
    it(`${file.path} is what the generators produce`, () => {
      const location = new URL(file.path, packageRoot);
      expect(existsSync(location), `${file.path} is missing: ${REGENERATE}`).toBe(true);
      const committed = readFileSync(location, "utf8");
      if (file.format === "json") {
        expect(JSON.parse(committed), `${file.path} differs from the generator: ${REGENERATE}`).toEqual(
          JSON.parse(file.content),
        );
      } else {
        expect(committed, `${file.path} differs from the generator: ${REGENERATE}`).toBe(file.content);
      }
    });
  }

  it("has no files the generators no longer produce", () => {
    const expected = new Set(files.map((file) => file.path.replace(/^schemas\//, "")));
    const stale = readdirSync(new URL("schemas/", packageRoot)).filter((name) => !expected.has(name));
    expect(stale, `stale files in packages/core/schemas: ${REGENERATE}`).toEqual([]);
  });
});
