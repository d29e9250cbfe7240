import { defineConfig } from "tsup";
import { packageEntries } from "../../scripts/build/package-entries";

// The entry points package.json exports (its `qicore-source` conditions), built to dist/;
// the page (dist/ui) is built after by build-ui.mjs.
const exported = packageEntries();

export default defineConfig({
  entry: exported,
  format: ["esm"],
  dts: { entry: exported },
  target: "node20",
  sourcemap: true,
  clean: false,
  external: ["@qicore/core", "zod"],
});
