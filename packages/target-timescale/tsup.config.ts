import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", drizzle: "src/drizzle.ts" },
  format: ["esm"],
  dts: true,
  target: "node20",
  sourcemap: true,
  clean: true,
  external: ["@qicore/core", "pg", "pg-copy-streams", "drizzle-orm", "@electric-sql/pglite"],
});
