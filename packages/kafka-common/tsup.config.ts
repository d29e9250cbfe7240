import { defineConfig } from "tsup";
import { packageEntries } from "../../scripts/build/package-entries";

// The entry points package.json exports (its `qicore-source` conditions), built to dist/.
const entry = packageEntries();

export default defineConfig({
  entry,
  format: ["esm"],
  dts: { entry },
  target: "node20",
  sourcemap: true,
  clean: true,
  external: [
    "@qicore/core",
    "@platformatic/kafka",
    "kafkajs",
    "kafkajs-snappy",
    "lz4-napi",
    "@mongodb-js/zstd",
    "zod",
  ],
});
