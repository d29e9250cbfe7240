import { dirname, relative, resolve } from "node:path";
import { loadPipelineFile } from "../config/load";
import type { ConfigError, ResolvedPipeline } from "../config/types";
import { RECORD_KINDS, type RecordKind } from "../dsl/kinds";
import { compileExpression } from "../processors/expression";
import type { AdapterRegistry } from "../registry/registry";
import { defaultRegistry } from "../registry/registry";
import { err, ok, type Result } from "../result/result";
import { silentLogger } from "../runtime/logger";
import { Pipeline } from "../runtime/pipeline";
import { MemoryStateStore } from "../runtime/state-store";
import { compareDeadLetters, compareRecords, inTimeOrder } from "./compare";
import { type LoadedTestFile, loadTestFile, type PipelineTestCase } from "./test-file";
import { testPipeline } from "./test-pipeline";

export interface PipelineTestResult {
  name: string;
  passed: boolean;
  /** One line per difference, naming the target, kind, record and field. */
  differences: string[];
  /** Records written per target id and kind. */
  written: Record<string, Partial<Record<RecordKind, number>>>;
  deadLetters: number;
}

export interface PipelineTestReport {
  file: string;
  pipeline: string;
  results: PipelineTestResult[];
}

export interface RunPipelineTestsOptions {
  registry?: AdapterRegistry;
  env?: Readonly<Record<string, string | undefined>>;
  /** How the file is named in messages (default: the path given). */
  shownAs?: string;
  /** The folder paths are shown relative to (default: the working directory). */
  cwd?: string;
}

/** Ids the test names that the pipeline does not have, as located problems. */
function unknownIds(
  loaded: LoadedTestFile,
  index: number,
  testCase: PipelineTestCase,
  pipeline: ResolvedPipeline,
) {
  const at = ["tests", index];
  const sources = new Set(pipeline.sources.map((source) => source.id));
  const targets = new Set(pipeline.targets.map((target) => target.id));
  const list = (ids: Set<string>) => [...ids].join(", ");
  const problems: { path: PropertyKey[]; message: string; atKey?: boolean }[] = [];
  for (const id of Object.keys(testCase.input))
    if (!sources.has(id))
      problems.push({
        path: [...at, "input", id],
        message: `the pipeline has no source "${id}" (its sources: ${list(sources)})`,
        atKey: true,
      });
  for (const id of Object.keys(testCase.expect))
    if (!targets.has(id))
      problems.push({
        path: [...at, "expect", id],
        message: `the pipeline has no target "${id}" (its targets: ${list(targets)})`,
        atKey: true,
      });
  if (testCase.route && !pipeline.routes.some((route) => route.from === testCase.route?.from))
    problems.push({
      path: [...at, "route", "from"],
      message: `the pipeline has no route from "${testCase.route.from}"`,
    });
  for (const [id, kinds] of Object.entries(testCase.expect))
    for (const [kind, expected] of Object.entries(kinds ?? {})) {
      const where = !Array.isArray(expected) ? expected?.where : undefined;
      if (!where) continue;
      try {
        compileExpression(where);
      } catch (thrown) {
        problems.push({
          path: [...at, "expect", id, kind, "where"],
          message: `not a valid expression: ${(thrown as Error).message}`,
        });
      }
    }
  return problems.length > 0 ? loaded.locate(problems) : undefined;
}

async function runCase(pipeline: ResolvedPipeline, testCase: PipelineTestCase): Promise<PipelineTestResult> {
  const test = testPipeline(pipeline, testCase);
  const running = Pipeline.fromResolved(test.config, {
    logger: silentLogger,
    stateStore: new MemoryStateStore(),
  });
  const summary = await running.run();
  await running.destroy();
  const differences: string[] = [];
  if (summary.error) differences.push(`the pipeline failed: ${summary.error.message}`);
  const written: PipelineTestResult["written"] = {};
  for (const target of pipeline.targets) {
    const store = test.written(target.id);
    written[target.id] = Object.fromEntries(
      RECORD_KINDS.filter((kind) => store.size(kind) > 0).map((kind) => [kind, store.size(kind)]),
    );
    for (const [kind, expected] of Object.entries(testCase.expect[target.id] ?? {}) as [
      RecordKind,
      never,
    ][]) {
      differences.push(...compareRecords(target.id, kind, expected, inTimeOrder(kind, store.list(kind))));
    }
  }
  const letters = test.deadLetters();
  if (testCase.deadLetters) differences.push(...compareDeadLetters(testCase.deadLetters, letters));
  return {
    name: testCase.name,
    passed: differences.length === 0,
    differences,
    written,
    deadLetters: letters.length,
  };
}

/**
 * Runs a pipeline test file: each test's input records go through the pipeline's real
 * processors and routes, read by in-memory sources and written to in-memory targets, and what
 * each target got is compared with what the test expects. An invalid test file or pipeline
 * is an error with every problem located; failed tests are results.
 */
export async function runPipelineTests(
  path: string,
  options: RunPipelineTestsOptions = {},
): Promise<Result<PipelineTestReport, ConfigError>> {
  const shownAs = options.shownAs ?? path;
  const loaded = await loadTestFile(resolve(path), shownAs);
  if (!loaded.ok) return loaded;
  const { file } = loaded.value;
  const pipelinePath = resolve(dirname(resolve(path)), file.pipeline);
  const pipelineShownAs = relative(options.cwd ?? process.cwd(), pipelinePath) || pipelinePath;
  const results: PipelineTestResult[] = [];
  for (const [index, testCase] of file.tests.entries()) {
    const env = { ...(options.env ?? process.env), ...file.env, ...testCase.env };
    const pipeline = await loadPipelineFile(pipelinePath, {
      registry: options.registry ?? defaultRegistry(),
      env,
    });
    if (!pipeline.ok) return pipeline;
    const problems = unknownIds(loaded.value, index, testCase, pipeline.value);
    if (problems) return err(problems);
    results.push(await runCase(pipeline.value, testCase));
  }
  return ok({ file: shownAs, pipeline: pipelineShownAs, results });
}
