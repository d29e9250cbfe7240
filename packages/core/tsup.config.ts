import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", "testing/index": "src/testing/index.ts", "cli/bin": "src/cli/bin.ts" },
  format: ["esm"],
  dts: { entry: { index: "src/index.ts", "testing/index": "src/testing/index.ts" } },
  target: "node20",
  sourcemap: true,
  clean: true,
  splitting: true,
  external: ["vitest", "tsx", "tsx/esm/api", "@qicore/mcp-server"],
});
