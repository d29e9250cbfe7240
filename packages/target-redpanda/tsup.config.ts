import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", kafka: "src/kafka.ts" },
  format: ["esm"],
  dts: true,
  target: "node20",
  sourcemap: true,
  clean: true,
  external: ["@qicore/core", "kafkajs", "kafkajs-snappy", "@2l/kafkajs-lz4", "@mongodb-js/zstd", "zod"],
});
