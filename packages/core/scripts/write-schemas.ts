/**
 * Writes the generated files of `@qicore/core/schemas/` (record JSON Schemas, schema.sql,
 * topics.yml) from the DSL. Run after changing a record schema or kind:
 *
 *     pnpm --filter @qicore/core gen:schemas
 *
 * `src/dsl/generate/schemas-files.test.ts` fails until the committed files match.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { schemaFiles } from "../src/dsl/generate/schema-files";

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
const files = schemaFiles();
const schemasDirectory = join(packageRoot, "schemas");
mkdirSync(schemasDirectory, { recursive: true });

// Files no generator produces any more (a renamed kind, a bumped version) must go too.
const expected = new Set(files.map((file) => join(packageRoot, file.path)));
for (const name of readdirSync(schemasDirectory)) {
  const path = join(schemasDirectory, name);
  if (!expected.has(path)) {
    rmSync(path);
    console.log(`removed ${join("schemas", name)}`);
  }
}

for (const file of files) {
  writeFileSync(join(packageRoot, file.path), file.content);
  console.log(`wrote ${file.path}`);
}

// The repository's formatter lays JSON out its own way; format now so `biome check` stays clean.
const jsonPaths = files.filter((file) => file.format === "json").map((file) => join(packageRoot, file.path));
try {
  execFileSync("biome", ["format", "--write", ...jsonPaths], { stdio: "pipe" });
  console.log(`formatted ${jsonPaths.length} JSON files with biome`);
} catch (error) {
  const output = (error as { stderr?: Buffer }).stderr?.toString() ?? (error as Error).message;
  console.warn(
    `could not format the JSON files with biome: run \`npx biome format --write schemas\`\n${output}`,
  );
}
