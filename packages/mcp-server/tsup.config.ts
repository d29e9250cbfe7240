import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", bin: "src/bin.ts" },
  format: ["esm"],
  dts: { entry: { index: "src/index.ts" } },
  target: "node20",
  sourcemap: true,
  clean: true,
  external: ["@qicore/core", "@qicore/target-timescale", "@modelcontextprotocol/sdk", "zod"],
});
