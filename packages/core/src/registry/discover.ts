import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/**
 * A package installed in the user's project that provides QiCore adapters: every
 * `@qicore/source-*`, `@qicore/target-*` and `@qicore/processor-*` package, and any other
 * package whose package.json declares them:
 *
 *     "qicore": { "adapters": { "source": ["binance-klines"], "target": ["sqlite"] } }
 *
 * (or, without naming them, the keyword `qicore-adapter`).
 */
export interface InstalledAdapterPackage {
  /** The package name, e.g. `@qicore/target-timescale`. */
  name: string;
  /** Its folder. */
  dir: string;
  /** The adapter types it declares, where it declares them (known without importing it). */
  declared: { source: string[]; target: string[]; processor: string[] };
}

interface Manifest {
  name?: string;
  keywords?: unknown;
  qicore?: { adapters?: { source?: unknown; target?: unknown; processor?: unknown } };
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const CONVENTIONAL = /^@qicore\/(source|target|processor)-([a-z0-9][a-z0-9-]*)$/;

/**
 * The adapter packages a project at `fromDir` has installed: the `@qicore/*` adapter
 * packages in every `node_modules` from that folder up, plus the dependencies of the
 * nearest package.json files that declare adapters. Reads manifests only; imports nothing.
 */
export function findInstalledAdapterPackages(fromDirs: readonly string[]): InstalledAdapterPackage[] {
  const found = new Map<string, InstalledAdapterPackage>();
  const consider = (name: string, packageDir: string) => {
    if (found.has(name)) return;
    const manifest = readManifest(join(packageDir, "package.json"));
    if (!manifest) return;
    const entry = describe(name, packageDir, manifest);
    if (entry) found.set(name, entry);
  };
  for (const fromDir of fromDirs) {
    for (let dir = resolve(fromDir); ; dir = dirname(dir)) {
      const scopeDir = join(dir, "node_modules", "@qicore");
      for (const entry of listDir(scopeDir)) consider(`@qicore/${entry}`, join(scopeDir, entry));
      const manifest = readManifest(join(dir, "package.json"));
      for (const name of dependencyNames(manifest)) {
        const packageDir = packageDirFrom(dir, name);
        if (packageDir) consider(name, packageDir);
      }
      if (dirname(dir) === dir) break;
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function describe(name: string, dir: string, manifest: Manifest): InstalledAdapterPackage | undefined {
  const declared = {
    source: stringList(manifest.qicore?.adapters?.source),
    target: stringList(manifest.qicore?.adapters?.target),
    processor: stringList(manifest.qicore?.adapters?.processor),
  };
  const conventional = CONVENTIONAL.exec(name);
  if (conventional) {
    const [, role, type] = conventional;
    if (
      (role === "source" || role === "target" || role === "processor") &&
      type &&
      !declared[role].includes(type)
    )
      declared[role].push(type);
    return { name, dir, declared };
  }
  const keywords = Array.isArray(manifest.keywords) ? manifest.keywords : [];
  if (manifest.qicore?.adapters || keywords.includes("qicore-adapter")) return { name, dir, declared };
  return undefined;
}

function dependencyNames(manifest: Manifest | undefined): string[] {
  if (!manifest) return [];
  return [
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.devDependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ];
}

function packageDirFrom(fromDir: string, name: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function readManifest(path: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Manifest;
  } catch {
    return undefined;
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}
