import { defineConfig } from "tsup";
import { packageEntries } from "../../scripts/build/package-entries";

// The entry points package.json exports (its `qicore-source` conditions), built to dist/.
const exported = packageEntries();

export default defineConfig({
  entry: { ...exported, "cli/bin": "src/cli/bin.ts" },
  format: ["esm"],
  dts: { entry: exported },
  target: "node20",
  sourcemap: true,
  clean: true,
  splitting: true,
  external: ["vitest", "tsx", "tsx/esm/api", "@qicore/mcp-server"],
});
