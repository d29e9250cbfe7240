import { defineConfig } from "tsup";
import { packageEntries } from "../../scripts/build/package-entries";

// The entry points package.json exports (its `qicore-source` conditions), built to dist/.
const exported = packageEntries();

export default defineConfig({
  entry: { ...exported, bin: "src/bin.ts" },
  format: ["esm"],
  dts: { entry: exported },
  target: "node20",
  sourcemap: true,
  clean: true,
  external: ["@qicore/core", "@qicore/target-timescale", "@modelcontextprotocol/sdk", "zod"],
});
