import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The `qicore` CLI from source: `qicore mcp` there delegates to this package. */
export const CORE_BIN = fileURLToPath(new URL("../../core/src/cli/bin.ts", import.meta.url));
/** The repository's tsconfig, whose paths map @qicore/* to the package sources for tsx. */
export const ROOT_TSCONFIG = fileURLToPath(new URL("../../../tsconfig.json", import.meta.url));
/** The MCP Inspector's command (a dev dependency of this package). */
export const INSPECTOR_BIN = fileURLToPath(new URL("../node_modules/.bin/mcp-inspector", import.meta.url));
/** tsx's loader by absolute URL: the children run in folders without node_modules. */
export const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

/** Arguments of `node` that run `qicore <args>` from source. */
export function qicoreArgs(args: readonly string[]): string[] {
  return ["--import", TSX_LOADER, CORE_BIN, ...args];
}

/**
 * The environment of a spawned server: only what it needs. MCP clients (the SDK's
 * stdio transport, the Inspector) pass a minimal environment too.
 */
export function serverEnv(extra: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    TSX_TSCONFIG_PATH: ROOT_TSCONFIG,
    ...extra,
  };
}

export interface SpawnedServer {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
  /** Waits until standard error contains the text; rejects with what it said after timeoutMs. */
  waitForStderr: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpExecArray>;
}

/** Starts `qicore <args>` from source in `cwd`. */
export function spawnQicore(
  args: readonly string[],
  cwd: string,
  env: Record<string, string>,
): SpawnedServer {
  const child = spawn(process.execPath, qicoreArgs(args), { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on("exit", (code, signal) => resolve(code ?? signal ?? -1));
  });
  const waitForStderr = (pattern: RegExp, timeoutMs = 20_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const started = Date.now();
      const check = setInterval(() => {
        const match = pattern.exec(stderr);
        if (match) {
          clearInterval(check);
          resolve(match);
        } else if (Date.now() - started > timeoutMs || child.exitCode !== null) {
          clearInterval(check);
          reject(new Error(`no ${pattern} on stderr within ${timeoutMs} ms; stderr:\n${stderr}`));
        }
      }, 20);
    });
  return { child, stdout: () => stdout, stderr: () => stderr, exited, waitForStderr };
}

/** Resolves with the exit code, or rejects when the process is still running after timeoutMs. */
export function exitWithin(server: SpawnedServer, timeoutMs: number): Promise<number | string> {
  return Promise.race([
    server.exited,
    new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`still running after ${timeoutMs} ms; stderr:\n${server.stderr()}`)),
        timeoutMs,
      ).unref(),
    ),
  ]);
}
