import { defineConfig } from "tsup";
import { packageEntries } from "../../scripts/build/package-entries";

// The entry points package.json exports (its `qicore-source` conditions), built to dist/.
const exported = packageEntries();

export default defineConfig({
  // The producer thread is a file of its own: worker_threads loads it by path.
  entry: { ...exported, "producer-thread": "src/client/producer-thread.ts" },
  format: ["esm"],
  dts: { entry: exported },
  target: "node20",
  sourcemap: true,
  clean: true,
  external: ["@qicore/core", "@qicore/kafka-common", "@platformatic/kafka", "kafkajs", "zod"],
});
