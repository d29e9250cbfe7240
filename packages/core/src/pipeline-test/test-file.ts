import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { z } from "zod";
import { configError, locateProblems } from "../config/problems";
import { parseSourceText, type SourceDocument } from "../config/source-document";
import type { ConfigError } from "../config/types";
import { parseConfig } from "../config/zod-problems";
import { RECORD_KINDS } from "../dsl/kinds";
import { err, ok, type Result } from "../result/result";

const fields = z.record(z.string(), z.unknown());
const recordList = z.array(fields);

/** Records a source reads in a test: a list, or a list with fields every record shares. */
const inputRecords = z.union([
  recordList,
  z.strictObject({
    defaults: fields.optional().describe("Fields every record of the list has unless it gives its own."),
    records: recordList,
  }),
]);

/** What a target must have been written, per kind. */
const expectedRecords = z.union([
  recordList.describe(
    "Exactly these records, in time order then by key; only the fields given are compared.",
  ),
  z
    .strictObject({
      records: recordList.optional().describe("Exactly these records (only the fields given are compared)."),
      contains: recordList.optional().describe("Records that must be among those written."),
      count: z.number().int().min(0).optional().describe("How many records were written."),
      where: z
        .string()
        .min(1)
        .optional()
        .describe("An expression every written record satisfies, e.g. isFinal && tradeCount > 0."),
    })
    .refine((value) => Object.keys(value).length > 0, "give records, contains, count or where"),
]);

const kindMap = <T extends z.ZodType>(value: T) => z.partialRecord(z.enum(RECORD_KINDS), value);

const expectedDeadLetters = z.union([
  z.strictObject({ count: z.number().int().min(0) }),
  z.array(
    z.strictObject({
      kind: z.string().optional(),
      code: z.string().optional().describe("The reason's error code, e.g. VALIDATION_FAILED."),
      reason: z.string().optional().describe("Text the reason's message contains."),
      record: fields.optional().describe("Fields of the dead-lettered record."),
    }),
  ),
]);

const envSchema = z.record(z.string(), z.string()).describe("Values for ${VAR} in the pipeline file.");

export const testCaseSchema = z.strictObject({
  name: z.string().min(1),
  route: z
    .strictObject({ from: z.string().min(1), to: z.string().min(1).optional() })
    .optional()
    .describe("Run only the routes from this source (and to this target)."),
  env: envSchema.optional(),
  input: z.record(z.string(), kindMap(inputRecords)).describe("Records per source id, per kind."),
  expect: z
    .record(z.string(), kindMap(expectedRecords))
    .default({})
    .describe("Records per target id, per kind."),
  deadLetters: expectedDeadLetters.optional().describe("What went to the dead-letter destination."),
});

export const testFileSchema = z.strictObject({
  pipeline: z.string().min(1).describe("The pipeline file, relative to this test file."),
  env: envSchema.optional(),
  tests: z.array(testCaseSchema).min(1, "list at least one test"),
});

export type PipelineTestFile = z.output<typeof testFileSchema>;
export type PipelineTestCase = z.output<typeof testCaseSchema>;
export type ExpectedRecords = z.output<typeof expectedRecords>;
export type ExpectedDeadLetters = z.output<typeof expectedDeadLetters>;

/** A parsed test file with the document, so later problems (an unknown source id) get a line too. */
export interface LoadedTestFile {
  file: PipelineTestFile;
  /** An error listing these problems, each with its line in the test file. */
  locate(
    problems: readonly { path: readonly PropertyKey[]; message: string; atKey?: boolean }[],
  ): ConfigError;
}

/** Reads and checks a test file (YAML, or JSON by extension); every problem names its line. */
export async function loadTestFile(
  path: string,
  shownAs: string,
): Promise<Result<LoadedTestFile, ConfigError>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (thrown) {
    const missing = (thrown as { code?: string }).code === "ENOENT";
    const message = missing ? `file not found (looked for ${path})` : (thrown as Error).message;
    return err(
      configError(
        [{ path: "", message, file: shownAs }],
        shownAs,
        missing ? "CONFIG_NOT_FOUND" : "CONFIG_INVALID",
      ),
    );
  }
  const parsed = parseSourceText(text, extname(path).toLowerCase() === ".json" ? "json" : "yaml");
  if (!parsed.ok) {
    return err(
      configError(
        parsed.problems.map(({ message, position }) => ({ path: "", message, file: shownAs, ...position })),
        shownAs,
      ),
    );
  }
  const document: SourceDocument = parsed.document;
  const file = parseConfig(testFileSchema, document.value ?? {}, [], new Set());
  if (!file.ok) return err(configError(locateProblems(file.problems, document, shownAs), shownAs));
  return ok({
    file: file.data,
    locate: (problems) => configError(locateProblems(problems, document, shownAs), shownAs),
  });
}
