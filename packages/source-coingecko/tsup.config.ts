import { cpSync } from "node:fs";
import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", testing: "src/testing/index.ts" },
  format: ["esm"],
  dts: true,
  target: "node20",
  sourcemap: true,
  clean: true,
  external: ["@qicore/core", "zod"],
  // The fake CoinGecko server of `@qicore/source-coingecko/testing` reads its fixtures next to the bundle.
  onSuccess: async () => {
    cpSync("src/__fixtures__", "dist/__fixtures__", { recursive: true });
  },
});
