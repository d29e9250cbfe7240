import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Why `import(specifier)` of an adapter module failed, in words a user can act on. */
export interface ImportFailure {
  /** The module itself is not there (as opposed to being there and failing). */
  missingItself: boolean;
  /** The cause, e.g. `Cannot find package 'left-pad' imported from /app/my-source.mjs`. */
  reason: string;
  /** `file:line[:column]` of the failure, when it can be told. */
  location?: string;
}

const NOT_FOUND_CODES = new Set(["ERR_MODULE_NOT_FOUND", "ERR_UNSUPPORTED_DIR_IMPORT", "MODULE_NOT_FOUND"]);

/**
 * Tells a module that is missing from one that is there but fails to load: a missing import
 * inside an adapter file (the file exists, a package it imports does not), a syntax error
 * (with the file and line, which Node's `import()` leaves out), or an error thrown while the
 * module ran.
 */
export function describeImportFailure(thrown: unknown, specifier: string): ImportFailure {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  const code = (error as { code?: string }).code;
  const file = specifier.startsWith("file:") ? fileURLToPath(specifier) : undefined;
  if (code !== undefined && NOT_FOUND_CODES.has(code)) {
    const missingItself = file !== undefined ? !existsSync(file) : namesSpecifier(error.message, specifier);
    return { missingItself, reason: error.message };
  }
  const location = locationOf(error, file);
  const reason = `${error.name === "Error" ? "" : `${error.name}: `}${error.message}`;
  return {
    missingItself: false,
    reason: location && !reason.includes(location) ? `${reason} (at ${location})` : reason,
    ...(location ? { location } : {}),
  };
}

/** Whether a "cannot find" message is about the specifier itself, not something it imports. */
function namesSpecifier(message: string, specifier: string): boolean {
  const named = /Cannot find (?:package|module) '([^']+)'/.exec(message)?.[1];
  if (named === undefined) return true;
  return named === specifier || named.startsWith(`${specifier}/`) || specifier.startsWith(`${named}/`);
}

function locationOf(error: Error, file: string | undefined): string | undefined {
  // tsx/esbuild: "Transform failed with 1 error:\n/app/src/my-source.ts:3:15: ERROR: ..."
  const transform = /((?:\/|[A-Za-z]:\\)[^\s:]+\.[cm]?[jt]sx?):(\d+):(\d+)/.exec(error.message);
  if (transform) return `${transform[1]}:${transform[2]}:${transform[3]}`;
  // A runtime error thrown by the module: the first stack frame inside the file.
  const stack = error.stack ?? "";
  if (file) {
    const frame = new RegExp(`(?:file://)?${escapeRegExp(file)}:(\\d+)(?::(\\d+))?`).exec(stack);
    if (frame) return `${file}:${frame[1]}${frame[2] ? `:${frame[2]}` : ""}`;
  }
  // Node's import() reports a syntax error without saying where; `node --check` says.
  if (error.name === "SyntaxError" && file && /\.[cm]?js$/.test(file) && !process.versions.bun) {
    return checkSyntax(file);
  }
  return undefined;
}

function checkSyntax(file: string): string | undefined {
  try {
    execFileSync(process.execPath, ["--check", file], { stdio: "pipe", timeout: 10_000 });
    return undefined;
  } catch (thrown) {
    const output = String((thrown as { stderr?: Buffer }).stderr ?? "");
    const line = new RegExp(`${escapeRegExp(file)}:(\\d+)`).exec(output)?.[1];
    return line ? `${file}:${line}` : undefined;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
