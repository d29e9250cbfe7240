import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { pipelineJsonSchema } from "../../config/json-schema";
import { defaultRegistry } from "../../registry/registry";
import { EXIT } from "../exit-codes";
import type { CommandIO } from "../io";
import { loadAdaptersForCommand } from "./load-adapters";

/** The editor schema `init` writes beside the pipeline file, which names it in `$schema`. */
export const SCHEMA_FILE = "pipeline.schema.json";

export const initHelp = `Usage: qicore init [file] [--force]

Writes a starter pipeline (default pipeline.yaml): synthetic prices into an embedded
TimescaleDB-compatible database, with the optional sections commented, and beside it
pipeline.schema.json, the editor schema with the adapters this project has installed
(after installing more: qicore schema pipeline > pipeline.schema.json).`;

export const STARTER_PIPELINE = `# A QiCore pipeline. Check it with: qicore validate pipeline.yaml
# Run it with:  qicore run pipeline.yaml
# Editor completion and checks; after installing adapters: qicore schema pipeline > pipeline.schema.json
# yaml-language-server: $schema=./pipeline.schema.json
name: my-first-pipeline

sources:
  - id: gen
    type: synthetic                 # built in: deterministic prices, candles, analytics
    config:
      coins: [bitcoin, ethereum, solana]
      count: 30000
      seed: 7

targets:
  - id: db
    type: timescale                 # npm install @qicore/target-timescale
    config:
      connectionString: "\${DATABASE_URL:-embedded:.qicore/db}"

# routes:                          # default: every source feeds every target
#   - { from: gen, to: [db], kinds: [price] }
# delivery:
#   batch: { maxRecords: 5000, maxWait: 200ms }
#   retry: { initialDelay: 100ms, maxDelay: 5s, maxElapsed: 15m }  # outages are waited out; bound them here
#   deadLetter: { path: .qicore/dead-letters.jsonl }
# metrics: { port: 9464 }
`;

export async function initCommand(file: string, options: { force: boolean }, io: CommandIO): Promise<number> {
  const path = resolve(io.cwd, file);
  if (existsSync(path) && !options.force) {
    io.error(`${file} exists; pass --force to overwrite it`);
    return EXIT.INVALID;
  }
  await writeFile(path, STARTER_PIPELINE, "utf8");
  const registry = defaultRegistry();
  const problems = await loadAdaptersForCommand(registry, [], dirname(path));
  for (const problem of problems) io.error(problem);
  const schemaPath = join(dirname(path), SCHEMA_FILE);
  await writeFile(schemaPath, `${JSON.stringify(pipelineJsonSchema(registry), null, 2)}\n`, "utf8");
  io.out(
    `wrote ${file} and ${relative(io.cwd, schemaPath)}; next: qicore validate ${file} && qicore run ${file}`,
  );
  return EXIT.OK;
}
