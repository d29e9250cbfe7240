import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { EXIT } from "../exit-codes";
import type { CommandIO } from "../io";

export const initHelp = `Usage: qicore init [file] [--force]

Writes a starter pipeline (default pipeline.yaml): synthetic prices into an embedded
TimescaleDB-compatible database, with the optional sections commented.`;

export const STARTER_PIPELINE = `# A QiCore pipeline. Check it with: qicore validate pipeline.yaml
# Run it with:  qicore run pipeline.yaml
# yaml-language-server: $schema=./node_modules/@qicore/core/schemas/pipeline.schema.json
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
    type: timescale                 # pnpm add @qicore/target-timescale
    config:
      connectionString: "\${DATABASE_URL:-embedded:.qicore/db}"

# routes:                          # default: every source feeds every target
#   - { from: gen, to: [db], kinds: [price] }
# delivery:
#   batch: { maxRecords: 1000, maxWait: 200ms }
#   retry: { maxAttempts: 5, initialDelay: 100ms, maxDelay: 10s }
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
  io.out(`wrote ${file}; next: qicore validate ${file} && qicore run ${file}`);
  return EXIT.OK;
}
