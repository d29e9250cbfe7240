import { existsSync, readFileSync } from "node:fs";
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

// Under vitest, which runs TypeScript itself, QiCore's own packages resolve to their sources
// (the `qicore-source` condition of their exports), as the test configuration resolves them.
const CONDITIONS = process.env.VITEST
  ? ["qicore-source", "import", "node", "default"]
  : ["import", "node", "default"];

function pickCondition(target: unknown): string | undefined {
  if (typeof target === "string") return target;
  if (Array.isArray(target)) return target.map(pickCondition).find((entry) => entry !== undefined);
  if (target && typeof target === "object") {
    const conditions = target as Record<string, unknown>;
    for (const condition of CONDITIONS) {
      const entry = pickCondition(conditions[condition]);
      if (entry) return entry;
    }
  }
  return undefined;
}

/** Thrown by `importModule` for a TypeScript file when the project has no tsx to load it with. */
export class TypeScriptLoaderMissing extends Error {
  override readonly name = "TypeScriptLoaderMissing";
}

type TsImport = (specifier: string, parentURL: string) => Promise<unknown>;
let tsImport: TsImport | undefined;

/**
 * Imports an adapter module. TypeScript files go through tsx's `tsImport`, which loads them
 * as ES modules whatever the project's `"type"` says: in a CommonJS project (what `npm init`
 * writes) Node's own hooks would compile the file to CommonJS, which cannot load the core.
 * Under Bun and vitest, which run TypeScript themselves, it is a plain `import()`.
 */
export async function importModule(
  specifier: string,
  fromDirs: readonly string[],
): Promise<Record<string, unknown>> {
  const typescript = specifier.startsWith("file:") && /\.[cm]?ts$/.test(specifier);
  if (!typescript || process.versions.bun || process.env.VITEST) {
    return (await import(/* @vite-ignore */ specifier)) as Record<string, unknown>;
  }
  const load = await findTsImport(fromDirs);
  if (!load) throw new TypeScriptLoaderMissing("tsx is not installed in the project");
  return (await load(specifier, pathToFileURL(join(resolve(fromDirs[0] ?? "."), "noop.js")).href)) as Record<
    string,
    unknown
  >;
}

async function findTsImport(fromDirs: readonly string[]): Promise<TsImport | undefined> {
  if (tsImport) return tsImport;
  for (const fromDir of fromDirs) {
    // The ES module build of tsx's API (its "import" export): require.resolve would pick the
    // CommonJS build, which cannot be imported.
    const specifier = resolveFrom("tsx/esm/api", [fromDir]);
    if (!specifier.startsWith("file:")) continue;
    try {
      const api = (await import(specifier)) as { tsImport?: TsImport };
      if (typeof api.tsImport === "function") {
        tsImport = api.tsImport;
        return tsImport;
      }
    } catch {
      // not installed near this folder; try the next
    }
  }
  return undefined;
}
