import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, relative } from "node:path";
import type { Reporter } from "vitest/reporters";

/**
 * Writes the run's unhandled errors (an "error" event nobody listened to, a rejection nobody
 * caught) to a file, because vitest's JSON report counts only failed tests: a run can fail
 * with every test passed, and the CI summary must say why in its last lines, where a long log
 * is cut.
 */
export default class UnhandledErrorsReporter implements Reporter {
  private readonly file = ".qicore/unhandled-errors.json";

  onTestRunEnd(_modules: unknown, unhandledErrors: ReadonlyArray<unknown>): void {
    const errors = unhandledErrors.map((error) => {
      const value = (error ?? {}) as {
        name?: unknown;
        message?: unknown;
        stack?: unknown;
        [key: string]: unknown;
      };
      return {
        name: String(value.name ?? "Error"),
        message: String(value.message ?? error),
        // Where vitest saw it: the test file, and the test when one was running.
        file: typeof value.VITEST_TEST_PATH === "string" ? relative(".", value.VITEST_TEST_PATH) : undefined,
        test: typeof value.VITEST_TEST_NAME === "string" ? value.VITEST_TEST_NAME : undefined,
        stack: typeof value.stack === "string" ? value.stack.split("\n").slice(0, 12).join("\n") : undefined,
      };
    });
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(this.file, `${JSON.stringify(errors, null, 2)}\n`);
  }
}
