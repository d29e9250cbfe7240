import { defineConfig } from "tsup";

export default defineConfig({
  // The producer thread is a file of its own: worker_threads loads it by path.
  entry: { index: "src/index.ts", kafka: "src/kafka.ts", "producer-thread": "src/client/producer-thread.ts" },
  format: ["esm"],
  dts: true,
  target: "node20",
  sourcemap: true,
  clean: true,
  external: [
    "@qicore/core",
    "@platformatic/kafka",
    "kafkajs",
    "kafkajs-snappy",
    "@2l/kafkajs-lz4",
    "@mongodb-js/zstd",
    "zod",
  ],
});
