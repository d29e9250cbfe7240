import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Finds what `import(specifier)` would load if it were written in a file of
 * `fromDir`: a pipeline names adapter packages installed in the user's project,
 * which a bare import from inside @qicore/core may not see (pnpm keeps packages apart).
 * Returns a file URL, or the specifier unchanged when nothing is found nearby.
 */
export function resolveFrom(specifier: string, fromDirs: readonly string[]): string {
  const [name, subpath] = splitSpecifier(specifier);
  for (const fromDir of fromDirs) {
    for (let dir = resolve(fromDir); ; dir = dirname(dir)) {
      const packageDir = join(dir, "node_modules", name);
      const manifestPath = join(packageDir, "package.json");
      if (existsSync(manifestPath)) {
        const entry = entryOf(JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest, subpath);
        if (entry) return pathToFileURL(join(packageDir, entry)).href;
      }
      if (dirname(dir) === dir) break;
    }
  }
  return specifier;
}

interface Manifest {
  exports?: unknown;
  module?: string;
  main?: string;
}

function splitSpecifier(specifier: string): [string, string] {
  const parts = specifier.split("/");
  const nameLength = specifier.startsWith("@") ? 2 : 1;
  const name = parts.slice(0, nameLength).join("/");
  const rest = parts.slice(nameLength).join("/");
  return [name, rest ? `./${rest}` : "."];
}

function entryOf(manifest: Manifest, subpath: string): string | undefined {
  const { exports } = manifest;
  if (exports !== undefined) {
    const target =
      typeof exports === "string" || isConditions(exports)
        ? subpath === "."
          ? exports
          : undefined
        : (exports as Record<string, unknown>)[subpath];
    return pickCondition(target);
  }
  if (subpath !== ".") return subpath;
  return manifest.module ?? manifest.main ?? "index.js";
}

function isConditions(value: unknown): boolean {
  return (
    typeof value === "object" && value !== null && !Object.keys(value).some((key) => key.startsWith("."))
  );
}

function pickCondition(target: unknown): string | undefined {
  if (typeof target === "string") return target;
  if (Array.isArray(target)) return target.map(pickCondition).find((entry) => entry !== undefined);
  if (target && typeof target === "object") {
    const conditions = target as Record<string, unknown>;
    for (const condition of ["import", "node", "default"]) {
      const entry = pickCondition(conditions[condition]);
      if (entry) return entry;
    }
  }
  return undefined;
}

let typescriptLoaderRegistered = false;

/**
 * Lets Node import a `.ts` adapter file: registers tsx's loader when the user's
 * project has tsx. Without it, the error says how to proceed.
 */
export async function ensureTypeScriptLoader(fromDirs: readonly string[]): Promise<boolean> {
  if (typescriptLoaderRegistered || process.versions.bun) return true;
  for (const fromDir of fromDirs) {
    try {
      const path = createRequire(join(resolve(fromDir), "noop.js")).resolve("tsx/esm/api");
      const api = (await import(pathToFileURL(path).href)) as { register: () => unknown };
      api.register();
      typescriptLoaderRegistered = true;
      return true;
    } catch {
      // not installed near this folder; try the next
    }
  }
  // Already running under a TypeScript-aware loader (vitest, tsx)?
  try {
    await import(/* @vite-ignore */ "tsx/esm/api").then((api: { register: () => unknown }) => api.register());
    typescriptLoaderRegistered = true;
    return true;
  } catch {
    return false;
  }
}
