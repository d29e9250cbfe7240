/**
 * Runs pipeline.yaml with the `qicore` CLI (the built package) and checks the outcome:
 * the adapter file loaded by path, five valid rows written with exact decimals, the bad
 * row dead-lettered with its reason and origin. Exits non-zero on any mismatch.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const coreDir = dirname(createRequire(import.meta.url).resolve("@qicore/core/package.json"));
const qicore = join(coreDir, "dist/cli/bin.js");

rmSync(join(here, ".qicore"), { recursive: true, force: true });
const summary = JSON.parse(
  execFileSync(process.execPath, [qicore, "run", "pipeline.yaml", "--summary-json", "--log-level", "warn"], {
    cwd: here,
    encoding: "utf8",
  }),
) as { recordsIn: number; recordsOut: Record<string, number>; deadLetters: number };

const lines = (path: string) =>
  readFileSync(join(here, path), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
const written = lines(".qicore/prices.jsonl").map((entry: { record: { usdPrice: string } }) => entry.record);
const deadLetters = lines(".qicore/dead-letters.jsonl");

const failures: string[] = [];
const expect = (condition: boolean, message: string) => condition || failures.push(message);
expect(summary.recordsIn === 6, `read ${summary.recordsIn} rows, expected 6`);
expect(summary.recordsOut.out === 5, `wrote ${summary.recordsOut.out} records, expected 5`);
expect(
  written.some((record: { usdPrice: string }) => record.usdPrice === "67100.00000001"),
  "decimal 67100.00000001 not kept exactly",
);
expect(deadLetters.length === 1, `expected 1 dead letter, found ${deadLetters.length}`);
expect(/usdPrice/.test(deadLetters[0]?.reason?.message ?? ""), "dead letter does not name usdPrice");
expect(deadLetters[0]?.origin?.file === "prices.csv", "dead letter does not say which file it came from");

if (failures.length > 0) {
  console.error(`third-party-adapter example FAILED:\n- ${failures.join("\n- ")}`);
  process.exit(1);
}
console.log("third-party-adapter example: 5 rows written, 1 bad row dead-lettered with its reason — OK");
