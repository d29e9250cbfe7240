import { cpSync } from "node:fs";
import { defineConfig } from "tsup";
import { packageEntries } from "../../scripts/build/package-entries";

// The entry points package.json exports (its `qicore-source` conditions), built to dist/.
const exported = packageEntries();

export default defineConfig({
  entry: exported,
  format: ["esm"],
  dts: { entry: exported },
  target: "node20",
  sourcemap: true,
  clean: true,
  external: ["@qicore/core", "zod"],
  // The Twelve Data stand-in of `@qicore/source-twelvedata/testing` reads its fixtures next to the bundle.
  onSuccess: async () => {
    cpSync("src/__fixtures__", "dist/__fixtures__", { recursive: true });
  },
});
