import { defineConfig } from "vitest/config";
import "./test/node20-reporter-fix.ts";

// Tests run against the TypeScript sources, not the build: each package's exports name its
// source file under the `qicore-source` condition (the build is checked by the pack check).
// The rest are Vite's defaults for server code, which setting `conditions` replaces.
const conditions = ["qicore-source", "module", "node", "development|production"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
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
