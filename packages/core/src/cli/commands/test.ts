import { readdirSync } from "node:fs";
import { relative, resolve } from "node:path";
import { formatConfigProblems } from "../../config/problems";
import type { ConfigProblem } from "../../config/types";
import { runPipelineTests } from "../../pipeline-test/run-tests";
import { defaultRegistry } from "../../registry/registry";
import { EXIT } from "../exit-codes";
import type { CommandIO } from "../io";

export const testHelp = `Usage: qicore test [file.test.yaml ...] [--json]

Runs pipeline unit tests: each test gives input records per source and the records each
target must get; the pipeline's processors and routes run for real, its sources and
targets are replaced by in-memory ones (nothing is read from or written to a service).
Differences are printed field by field. Without files, runs every *.test.yaml,
*.test.yml and *.test.json in the working folder.

  --json   print the reports as JSON

Exit codes: 0 every test passed, 1 a test failed, 2 a test file or its pipeline is invalid.`;

const TEST_FILE = /\.test\.(ya?ml|json)$/;

export async function testCommand(
  files: readonly string[],
  options: { json: boolean },
  io: CommandIO,
): Promise<number> {
  const given =
    files.length > 0
      ? files
      : readdirSync(io.cwd)
          .filter((name) => TEST_FILE.test(name))
          .sort();
  if (given.length === 0) {
    io.error(`qicore test: no test files given, and no *.test.yaml in ${io.cwd}\n\n${testHelp}`);
    return EXIT.INVALID;
  }
  let failed = 0;
  let passed = 0;
  const reports: unknown[] = [];
  for (const file of given) {
    const path = resolve(io.cwd, file);
    const outcome = await runPipelineTests(path, {
      registry: defaultRegistry(),
      env: io.env,
      shownAs: relative(io.cwd, path) || file,
      cwd: io.cwd,
    });
    if (!outcome.ok) {
      const problems = (outcome.error.context.problems as ConfigProblem[] | undefined) ?? [];
      io.error(problems.length > 0 ? formatConfigProblems(problems) : outcome.error.message);
      return EXIT.INVALID;
    }
    const report = outcome.value;
    reports.push(report);
    if (!options.json) io.out(`${report.file} (pipeline ${report.pipeline})`);
    for (const result of report.results) {
      if (result.passed) passed++;
      else failed++;
      if (options.json) continue;
      const written = Object.entries(result.written)
        .map(
          ([target, kinds]) =>
            `${target}: ${
              Object.entries(kinds)
                .map(([kind, count]) => `${count} ${kind}`)
                .join(", ") || "nothing"
            }`,
        )
        .join("; ");
      io.out(
        `  ${result.passed ? "✓" : "✗"} ${result.name}  (${written}; ${result.deadLetters} dead letters)`,
      );
      for (const line of result.differences) io.out(`      ${line.replace(/\n/g, "\n      ")}`);
    }
  }
  if (options.json) io.out(JSON.stringify(reports, null, 2));
  else io.out(`${passed + failed} tests: ${passed} passed, ${failed} failed`);
  return failed > 0 ? EXIT.FAILED : EXIT.OK;
}
