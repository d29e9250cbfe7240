/**
 * The names every package entry exports, sorted, as a snapshot: an API change is a visible
 * diff in review (update with `pnpm vitest run test/public-api.test.ts -u` when it is meant).
 * Each entry is imported the way a user imports it, by package name.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packagesDir = fileURLToPath(new URL("../packages/", import.meta.url));

function entryPoints(): string[] {
  const specifiers: string[] = [];
  for (const folder of readdirSync(packagesDir).sort()) {
    const manifest = JSON.parse(readFileSync(`${packagesDir}${folder}/package.json`, "utf8")) as {
      name: string;
      exports?: Record<string, unknown>;
    };
    for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
      if (typeof target === "object" && target !== null && "qicore-source" in target)
        specifiers.push(subpath === "." ? manifest.name : `${manifest.name}/${subpath.slice(2)}`);
    }
  }
  return specifiers;
}

describe("public API", () => {
  for (const specifier of entryPoints()) {
    it(`${specifier} exports exactly the names in its snapshot`, async () => {
      const module = (await import(/* @vite-ignore */ specifier)) as Record<string, unknown>;
      const names = Object.keys(module).sort();
      await expect(`${names.join("\n")}\n`).toMatchFileSnapshot(
        `./__snapshots__/exports/${specifier.replace("@qicore/", "").replace("/", "--")}.txt`,
      );
    });
  }
});
