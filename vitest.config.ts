import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Tests run against the TypeScript sources, not the build: the aliases map each
// published entry point to its source file. The build is checked by the pack test.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@qicore\/core\/testing$/, replacement: source("./packages/core/src/testing/index.ts") },
      {
        find: /^@qicore\/source-coingecko\/testing$/,
        replacement: source("./packages/source-coingecko/src/testing/index.ts"),
      },
      {
        find: /^@qicore\/target-timescale\/drizzle$/,
        replacement: source("./packages/target-timescale/src/drizzle.ts"),
      },
      {
        find: /^@qicore\/target-redpanda\/kafka$/,
        replacement: source("./packages/target-redpanda/src/kafka.ts"),
      },
      { find: /^@qicore\/core$/, replacement: source("./packages/core/src/index.ts") },
      {
        find: /^@qicore\/source-coingecko$/,
        replacement: source("./packages/source-coingecko/src/index.ts"),
      },
      { find: /^@qicore\/source-redpanda$/, replacement: source("./packages/source-redpanda/src/index.ts") },
      {
        find: /^@qicore\/target-timescale$/,
        replacement: source("./packages/target-timescale/src/index.ts"),
      },
      { find: /^@qicore\/target-redpanda$/, replacement: source("./packages/target-redpanda/src/index.ts") },
      { find: /^@qicore\/mcp-server$/, replacement: source("./packages/mcp-server/src/index.ts") },
    ],
  },
  test: {
    include: ["packages/*/src/**/*.test.ts", "examples/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    globalSetup: ["./test/global-setup.ts"],
    typecheck: { enabled: true, include: ["packages/*/src/**/*.test-d.ts"], tsconfig: "./tsconfig.json" },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
