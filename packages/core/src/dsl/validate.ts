import type { z } from "zod";
import { type QiError, qiError } from "../errors/qi-error";
import { err, ok, type Result } from "../result/result";
import { canonicalRecord } from "./canonical";
import { RECORD_KIND_DEFINITIONS, type RecordKind, type RecordOfKind } from "./kinds";

/** One problem with one input, with the path of the field at fault (`usdPrice`, `coins[2]`). */
export interface FieldIssue {
  path: string;
  message: string;
}

/** Renders a zod path as `a.b[2].c`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else text += text ? `.${String(segment)}` : String(segment);
  }
  return text;
}

export function issuesOf(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

export function describeIssues(issues: readonly FieldIssue[]): string {
  return issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join("; ");
}

/**
 * Validates and normalises one record of the given kind. The result is always a new
 * object. A record already in canonical form (what this function outputs, e.g. read back
 * from a topic QiCore wrote) takes a hand-written check with the same outcome; everything
 * else goes through the kind's zod schema.
 */
export function validateRecord<K extends RecordKind>(
  kind: K,
  input: unknown,
): Result<RecordOfKind[K], QiError> {
  const canonical = canonicalRecord(kind, input);
  if (canonical !== undefined) return ok(canonical);
  return validateWithSchema(kind, input);
}

/**
 * validateRecord for a value JSON.parse just returned, which nothing else holds: a record
 * already in canonical form is returned as it is instead of copied (the decoding hot path
 * of consumers). Do not pass objects that are shared, or that may have getters.
 */
export function validateParsedRecord<K extends RecordKind>(
  kind: K,
  parsed: unknown,
): Result<RecordOfKind[K], QiError> {
  const canonical = canonicalRecord(kind, parsed, true);
  if (canonical !== undefined) return ok(canonical);
  return validateWithSchema(kind, parsed);
}

function validateWithSchema<K extends RecordKind>(kind: K, input: unknown): Result<RecordOfKind[K], QiError> {
  const parsed = RECORD_KIND_DEFINITIONS[kind].schema.safeParse(input);
  if (parsed.success) return ok(parsed.data as RecordOfKind[K]);
  const issues = issuesOf(parsed.error);
  return err(
    qiError("VALIDATION_FAILED", `invalid ${kind} record: ${describeIssues(issues)}`, {
      context: { kind, issues },
    }),
  );
}

export interface InvalidRecord {
  index: number;
  input: unknown;
  error: QiError;
}

/**
 * Validates a batch; valid records keep their order, invalid ones are reported with their index.
 * With `fresh`, the inputs are objects nothing else holds (see validateParsedRecord): canonical
 * ones are passed on as they are.
 */
export function validateRecords<K extends RecordKind>(
  kind: K,
  inputs: readonly unknown[],
  options: { fresh?: boolean } = {},
): { valid: RecordOfKind[K][]; validIndexes: number[]; invalid: InvalidRecord[] } {
  const valid: RecordOfKind[K][] = [];
  const validIndexes: number[] = [];
  const invalid: InvalidRecord[] = [];
  const validate = options.fresh ? validateParsedRecord : validateRecord;
  inputs.forEach((input, index) => {
    const result = validate(kind, input);
    if (result.ok) {
      valid.push(result.value);
      validIndexes.push(index);
    } else invalid.push({ index, input, error: result.error.withContext({ index }) });
  });
  return { valid, validIndexes, invalid };
}
