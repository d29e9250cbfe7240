import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The page's files: built into dist/ui by the package build (esbuild bundles ui/main.ts). */
export interface UiAssets {
  html: string;
  script: string;
  style: string;
}

/**
 * Finds the built page: `uiDir` when given (tests build it into a folder of their own),
 * else dist/ui of this package, beside dist/index.js or above src/.
 */
export async function loadUiAssets(uiDir?: string): Promise<UiAssets> {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = uiDir ? [uiDir] : [join(here, "ui"), join(here, "..", "dist", "ui")];
  let last: unknown;
  for (const dir of candidates) {
    try {
      const [html, script, style] = await Promise.all([
        readFile(join(dir, "index.html"), "utf8"),
        readFile(join(dir, "app.js"), "utf8"),
        readFile(join(dir, "style.css"), "utf8"),
      ]);
      return { html, script, style };
    } catch (thrown) {
      last = thrown;
    }
  }
  throw new Error(
    `the dashboard page is not built (${(last as Error).message}); run pnpm --filter @qicore/dashboard build`,
  );
}
