// Builds the dashboard page into a folder: ui/main.ts bundled with lightweight-charts into
// app.js (nothing is loaded from elsewhere), index.html and style.css copied beside it.
// The package build writes dist/ui; the browser tests build into a folder of their own.
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));

/** Writes index.html, style.css and app.js to `outDir`. */
export async function buildUi(outDir) {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [join(here, "ui", "main.ts")],
    outfile: join(outDir, "app.js"),
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    minify: true,
    conditions: ["production"],
    legalComments: "linked",
    logLevel: "warning",
  });
  for (const file of ["index.html", "style.css"])
    await copyFile(join(here, "ui", "public", file), join(outDir, file));
  return outDir;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href)
  await buildUi(process.argv[2] ?? join(here, "dist", "ui"));
