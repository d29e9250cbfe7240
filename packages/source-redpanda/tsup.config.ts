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
  external: ["@qicore/core", "kafkajs", "kafkajs-snappy", "lz4-napi", "@mongodb-js/zstd", "zod"],
});
