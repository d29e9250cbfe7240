import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type PipelineProcess, startFromSources } from "./processes";

const repositoryRoot = fileURLToPath(new URL("../../../", import.meta.url));
/** The `qicore` command's entry, from source (what `bin/qicore.js` runs once built). */
const qicoreBin = join(repositoryRoot, "packages/core/src/cli/bin.ts");

/** Writes a pipeline file (YAML text) to a fresh folder; returns its path. */
export function writeYamlPipeline(yaml: string): string {
  const folder = mkdtempSync(join(tmpdir(), "qicore-candles-"));
  const file = join(folder, "pipeline.yaml");
  writeFileSync(file, yaml);
  return file;
}

/** A running `qicore run` and what it printed. */
export type QicoreRun = PipelineProcess;

/**
 * `qicore run <file>` as a user runs it, in its own process: the CLI finds the adapters the
 * way it does for a user (installed `@qicore/*` packages from the working directory up, here
 * the repository root). The `qicore-source` condition and tsx run the workspace packages from
 * their sources, as the tests themselves do, instead of whatever was last built into dist/.
 */
export function startQicoreRun(file: string): QicoreRun {
  return startFromSources([qicoreBin, "run", file, "--no-progress", "--log-format", "json"]);
}
