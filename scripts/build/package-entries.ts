import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The build entries of a package, read from its package.json `exports`: each subpath names its
 * source file under the `qicore-source` condition (what tests, type checks and the build
 * use) and its built file under `import`. So an entry point is listed once, in package.json.
 *
 *     ".": { "qicore-source": "./src/index.ts", "types": "./dist/index.d.ts", "import": "./dist/index.js" }
 *
 * gives the tsup entry `{ index: "src/index.ts" }`.
 */
export function packageEntries(packageDir: string = process.cwd()): Record<string, string> {
  const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as {
    exports?: Record<string, unknown>;
  };
  const entries: Record<string, string> = {};
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    if (typeof target !== "object" || target === null) continue;
    const conditions = target as Record<string, unknown>;
    const source = conditions["qicore-source"];
    const built = conditions.import;
    if (typeof source !== "string" || typeof built !== "string") continue;
    const name = /^\.\/dist\/(.+)\.js$/.exec(built)?.[1];
    if (!name)
      throw new Error(`package.json exports["${subpath}"].import must be ./dist/<name>.js, not ${built}`);
    entries[name] = source.replace(/^\.\//, "");
  }
  return entries;
}
