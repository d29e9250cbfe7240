import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const script = fileURLToPath(new URL("./pipeline-process.ts", import.meta.url));
const repositoryRoot = fileURLToPath(new URL("../../../", import.meta.url));
// The child runs TypeScript sources through tsx, resolving @qicore/* with the root tsconfig's paths.
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

/** A running pipeline process and what it printed. */
export interface PipelineProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Writes a pipeline config to a fresh folder; returns the file's path. */
export function writePipelineFile(config: unknown): string {
  const folder = mkdtempSync(join(tmpdir(), "qicore-kafka-"));
  const file = join(folder, "pipeline.json");
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

export function startPipelineProcess(file: string): PipelineProcess {
  return startFromSources([script, file]);
}

/**
 * Runs a TypeScript entry in its own Node process, collecting what it prints. The
 * `qicore-source` condition resolves workspace packages to their sources, as in the tests
 * themselves; without it the child would run whatever was last built into dist/.
 */
export function startFromSources(args: readonly string[]): PipelineProcess {
  const child = spawn(process.execPath, ["--conditions=qicore-source", "--import", tsxLoader, ...args], {
    cwd: repositoryRoot,
    env: { ...process.env, TSX_TSCONFIG_PATH: join(repositoryRoot, "tsconfig.json") },
    stdio: ["ignore", "pipe", "pipe"],
  });
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

export async function waitUntil(
  condition: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
