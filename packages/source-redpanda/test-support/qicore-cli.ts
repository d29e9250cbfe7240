import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repositoryRoot = fileURLToPath(new URL("../../../", import.meta.url));
/** The `qicore` command's entry, from source (what `bin/qicore.js` runs once built). */
const qicoreBin = join(repositoryRoot, "packages/core/src/cli/bin.ts");
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

/** Writes a pipeline file (YAML text) to a fresh folder; returns its path. */
export function writeYamlPipeline(yaml: string): string {
  const folder = mkdtempSync(join(tmpdir(), "qicore-candles-"));
  const file = join(folder, "pipeline.yaml");
  writeFileSync(file, yaml);
  return file;
}

/** A running `qicore run` and what it printed. */
export interface QicoreRun {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `qicore run <file>` as a user runs it, in its own process: the CLI finds the adapters the
 * way it does for a user (installed `@qicore/*` packages from the working directory up, here
 * the repository root). The `qicore-source` condition and tsx run the workspace packages from
 * their sources, as the tests themselves do, instead of whatever was last built into dist/.
 */
export function startQicoreRun(file: string): QicoreRun {
  const child = spawn(
    process.execPath,
    [
      "--conditions=qicore-source",
      "--import",
      tsxLoader,
      qicoreBin,
      "run",
      file,
      "--no-progress",
      "--log-format",
      "json",
    ],
    {
      cwd: repositoryRoot,
      env: { ...process.env, TSX_TSCONFIG_PATH: join(repositoryRoot, "tsconfig.json") },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let text = "";
  child.stdout?.on("data", (chunk) => {
    text += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    text += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => text, exited };
}
