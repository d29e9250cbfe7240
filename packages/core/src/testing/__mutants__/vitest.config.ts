import { defineConfig } from "vitest/config";
import "../../../../../test/node20-reporter-fix.ts";

// Runs only the mutants' conformance files; conformance-mutants.test.ts starts it.
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ["*.conformance.ts"],
    testTimeout: 20_000,
  },
});
