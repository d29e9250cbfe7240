/**
 * The conformance suite catches the bugs it names: it runs here, in a separate vitest run,
 * against adapters that have them (./__mutants__), and each must fail exactly the check for
 * its bug while passing the others.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

interface AssertionResult {
  fullName: string;
  status: string;
  failureMessages: string[];
}
interface FileResult {
  name: string;
  assertionResults: AssertionResult[];
}

const mutantsDir = fileURLToPath(new URL("./__mutants__/", import.meta.url));
let files: FileResult[] = [];

beforeAll(() => {
  const output = mkdtempSync(join(tmpdir(), "qicore-mutants-"));
  const report = join(output, "report.json");
  const vitest = join(dirname(createRequire(import.meta.url).resolve("vitest/package.json")), "vitest.mjs");
  const run = spawnSync(
    process.execPath,
    [
      vitest,
      "run",
      "--config",
      join(mutantsDir, "vitest.config.ts"),
      "--reporter=json",
      `--outputFile=${report}`,
    ],
    {
      cwd: mutantsDir,
      encoding: "utf8",
      timeout: 120_000,
      env: { ...process.env, VITEST: undefined } as never,
    },
  );
  try {
    files = (JSON.parse(readFileSync(report, "utf8")) as { testResults: FileResult[] }).testResults;
  } catch {
    throw new Error(`the mutants' vitest run wrote no report (exit ${run.status}): ${run.stderr}`);
  } finally {
    rmSync(output, { recursive: true, force: true });
  }
}, 150_000);

function resultsOf(file: string): AssertionResult[] {
  const found = files.find((entry) => entry.name.endsWith(file));
  if (!found)
    throw new Error(`no results for ${file}; files run: ${files.map((entry) => entry.name).join(", ")}`);
  return found.assertionResults;
}

function failedChecks(file: string): string[] {
  return resultsOf(file)
    .filter((result) => result.status === "failed")
    .map((result) => result.fullName.replace(/^.* conformance /, ""));
}

describe("the conformance suite against adapters with known bugs", () => {
  it("fails a target that stores decimals as floats, in the precision checks only", () => {
    expect(failedChecks("float-target.conformance.ts").sort()).toEqual([
      "keeps every digit of ohlcv decimals at the columns' full precision",
      "keeps every digit of price decimals at the columns' full precision",
    ]);
  });

  it("fails a one-batch source that ignores its checkpoint, in the replay check only", () => {
    expect(failedChecks("checkpoint-ignoring-source.conformance.ts")).toEqual([
      "resumes from a checkpoint with the records that followed it, and none before it",
    ]);
  });

  it("fails a source whose getOHLCV returns garbage, in the DSL check only", () => {
    expect(failedChecks("garbage-dsl-source.conformance.ts")).toEqual([
      "returns valid records from the DSL methods it offers",
    ]);
    const message = resultsOf("garbage-dsl-source.conformance.ts")
      .flatMap((result) => result.failureMessages)
      .join("\n");
    expect(message).toContain("getOHLCV(");
    expect(message).toContain("is not a valid ohlcv");
  });

  it("fails a processor that hands on a kind it does not declare, in the kinds check only", () => {
    expect(failedChecks("undeclared-kind-processor.conformance.ts")).toEqual([
      "hands on only the kinds it declares, each a valid record, from trade input",
    ]);
  });

  it("fails a processor that writes into its input records, in the unchanged-input check only", () => {
    expect(failedChecks("input-mutating-processor.conformance.ts")).toEqual([
      "leaves the trade records it is given unchanged",
    ]);
  });

  it("fails a processor that holds records without saying so, in the holds check only", () => {
    expect(failedChecks("silent-holding-processor.conformance.ts")).toEqual([
      "says which trade input it holds, and holds nothing after a flush",
    ]);
    const message = resultsOf("silent-holding-processor.conformance.ts")
      .flatMap((result) => result.failureMessages)
      .join("\n");
    expect(message).toContain("flush() handed on records");
  });

  it("fails a processor that does not take back the state it saved, in the restart check only", () => {
    expect(failedChecks("forgetful-restoring-processor.conformance.ts")).toEqual([
      "resumes after a restart from its last checkpoint as if it had not stopped, on trade input",
      "resumes after a restart from its last checkpoint as if it had not stopped, on price input",
    ]);
    const message = resultsOf("forgetful-restoring-processor.conformance.ts")
      .flatMap((result) => result.failureMessages)
      .join("\n");
    expect(message).toMatch(/stopped after batch \d+ of \d+/);
  });

  it("fails a processor whose results depend on batch boundaries, in the batching check only", () => {
    expect(failedChecks("batch-bound-processor.conformance.ts")).toEqual([
      "gives the same results however its trade input is batched",
    ]);
  });
});
