/**
 * Adapter packages build on the adapter contract only: their library code imports
 * `@qicore/core/adapter` (published testing entries also `@qicore/core/testing`), never the
 * core's root or its files, and never another adapter package, so the runtime can change
 * without breaking them and installing one adapter never installs another. Tests and private
 * test support may use anything (they run pipelines).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packagesDir = fileURLToPath(new URL("../packages/", import.meta.url));

/** Packages that are not adapters: the core, and the applications built on the whole runtime. */
const NOT_ADAPTERS = new Set(["@qicore/core", "@qicore/mcp-server", "@qicore/dashboard"]);
/** Code that adapters share and that registers no adapter (the `@ai-sdk/openai-compatible` pattern). */
const BASE_PACKAGES = new Set(["@qicore/kafka-common"]);

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const manifests = readdirSync(packagesDir)
  .sort()
  .map((folder) => ({
    dir: join(packagesDir, folder),
    manifest: JSON.parse(readFileSync(join(packagesDir, folder, "package.json"), "utf8")) as Manifest,
  }));
const adapterPackages = manifests.filter(({ manifest }) => !NOT_ADAPTERS.has(manifest.name));
const adapterNames = new Set(
  adapterPackages.map(({ manifest }) => manifest.name).filter((name) => !BASE_PACKAGES.has(name)),
);

/** Test code: suites, type tests, recorded responses and private helpers. */
function isTestCode(path: string): boolean {
  return (
    /\.test(-d)?\.ts$/.test(path) ||
    path.split(sep).some((part) => part === "test-support" || part === "__fixtures__")
  );
}

function libraryFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files.push(...libraryFiles(path));
    else if (/\.(ts|mts|js|mjs)$/.test(entry) && !entry.endsWith(".d.ts") && !isTestCode(path))
      files.push(path);
  }
  return files;
}

/** Every module specifier a file imports or re-exports, statically or with import(). */
function importedSpecifiers(source: string): string[] {
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"']+)["']/g;
  return [...source.matchAll(pattern)].map((match) => match[1] as string);
}

/** What is wrong with one import of an adapter package's library file, if anything. */
function boundaryProblem(
  specifier: string,
  file: string,
  packageDir: string,
  packageName: string,
): string | undefined {
  if (specifier.startsWith(".")) {
    const target = resolve(file, "..", specifier);
    return relative(packageDir, target).startsWith("..")
      ? `reaches outside its package (${specifier})`
      : undefined;
  }
  const [scope, name, ...rest] = specifier.split("/");
  if (scope !== "@qicore" || name === undefined) return undefined;
  const target = `${scope}/${name}`;
  if (target === "@qicore/core") {
    const entry = rest.join("/");
    if (entry === "adapter") return undefined;
    if (entry === "testing" && file.split(sep).includes("testing")) return undefined;
    return `imports ${specifier} instead of @qicore/core/adapter`;
  }
  if (target === packageName || BASE_PACKAGES.has(target)) return undefined;
  if (adapterNames.has(target)) return `imports another adapter package (${specifier})`;
  return `imports ${specifier}, which is neither the contract nor a base package`;
}

describe("adapter package boundaries", () => {
  it("finds the adapter packages and their library code", () => {
    expect(adapterPackages.map(({ manifest }) => manifest.name)).toEqual(
      expect.arrayContaining([
        "@qicore/source-redpanda",
        "@qicore/target-redpanda",
        "@qicore/target-timescale",
      ]),
    );
    for (const { dir } of adapterPackages) expect(libraryFiles(join(dir, "src")).length).toBeGreaterThan(0);
  });

  it("tells a wrong import from a right one", () => {
    const file = join(packagesDir, "source-redpanda", "src", "source.ts");
    const dir = join(packagesDir, "source-redpanda");
    const check = (specifier: string) => boundaryProblem(specifier, file, dir, "@qicore/source-redpanda");
    expect(check("@qicore/core/adapter")).toBeUndefined();
    expect(check("@qicore/kafka-common")).toBeUndefined();
    expect(check("./config")).toBeUndefined();
    expect(check("kafkajs")).toBeUndefined();
    expect(check("@qicore/core")).toMatch(/instead of @qicore\/core\/adapter/);
    expect(check("@qicore/core/testing")).toMatch(/instead of/);
    expect(check("@qicore/target-redpanda")).toMatch(/another adapter package/);
    expect(check("../../core/src/runtime/pipeline")).toMatch(/outside its package/);
    expect(
      importedSpecifiers(`import { a } from "x";\nexport * from 'y';\nawait import("z");\nimport "w";`),
    ).toEqual(["x", "y", "z", "w"]);
  });

  for (const { dir, manifest } of adapterPackages) {
    it(`${manifest.name} imports only the adapter contract in its library code`, () => {
      const problems: string[] = [];
      for (const file of libraryFiles(join(dir, "src"))) {
        for (const specifier of importedSpecifiers(readFileSync(file, "utf8"))) {
          const problem = boundaryProblem(specifier, file, dir, manifest.name);
          if (problem) problems.push(`${relative(packagesDir, file)}: ${problem}`);
        }
      }
      expect(problems).toEqual([]);
    });

    it(`${manifest.name} depends on no other adapter package`, () => {
      const installed = {
        ...manifest.dependencies,
        ...manifest.peerDependencies,
        ...manifest.optionalDependencies,
      };
      expect(
        Object.keys(installed).filter((name) => adapterNames.has(name) && name !== manifest.name),
      ).toEqual([]);
    });
  }
});
