import type { z } from "zod";
import { isPlainObject, pathKey } from "./interpolate";
import { closest, didYouMean } from "./suggest";

/** A problem before it is given a printable path and a position in the file. */
export interface PendingProblem {
  path: readonly PropertyKey[];
  message: string;
  /** Point at the key rather than the value (unknown keys). */
  atKey?: boolean;
  /** An unknown key that is most likely this missing key misspelt. */
  meant?: string;
  /** A required key is missing. */
  missing?: boolean;
}

export type ParseConfigOutcome<T> = { ok: true; data: T } | { ok: false; problems: PendingProblem[] };

/**
 * `schema.safeParse` with messages written for pipeline files and issue paths placed
 * under `prefix`. A string that came from `${VAR}` where the schema wants a number or
 * a boolean is converted and parsed again, so `port: ${PORT:-9464}` works while a
 * quoted `"9464"` written in the file stays a string (an error where a number is due).
 */
export function parseConfig<T>(
  schema: z.ZodType<T>,
  value: unknown,
  prefix: readonly PropertyKey[],
  substituted: ReadonlySet<string>,
): ParseConfigOutcome<T> {
  let input = value;
  let result = schema.safeParse(input, { error: describeIssue });
  if (!result.success) {
    let changed = false;
    for (const issue of result.error.issues) {
      if (issue.code !== "invalid_type" || !substituted.has(pathKey([...prefix, ...issue.path]))) continue;
      const current = valueAt(input, issue.path);
      const converted = typeof current === "string" ? convertText(current, issue.expected) : undefined;
      if (converted === undefined) continue;
      input = withValueAt(input, issue.path, converted);
      changed = true;
    }
    if (changed) result = schema.safeParse(input, { error: describeIssue });
  }
  if (result.success) return { ok: true, data: result.data };
  const problems = result.error.issues.flatMap((issue) => problemsOfIssue(issue, schema, input, prefix));
  // `greting:` makes `greeting` missing too; that is one mistake, reported at the typo.
  const meant = new Set(
    problems.flatMap((problem) =>
      problem.meant === undefined ? [] : [pathKey([...problem.path.slice(0, -1), problem.meant])],
    ),
  );
  return {
    ok: false,
    problems: problems.filter((problem) => !(problem.missing && meant.has(pathKey(problem.path)))),
  };
}

function problemsOfIssue(
  issue: z.core.$ZodIssue,
  schema: z.ZodType,
  input: unknown,
  prefix: readonly PropertyKey[],
): PendingProblem[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === "unrecognized_keys") {
    const valid = keysAt(schema, issue.path);
    const present = valueAt(input, issue.path);
    const absent = valid.filter((key) => !isPlainObject(present) || !(key in present));
    return issue.keys.map((key) => {
      const meant = closest(key, absent);
      const hint = meant === undefined ? didYouMean(key, valid) : `; did you mean ${meant}?`;
      const list = hint === "" && valid.length > 0 ? `; expected one of: ${valid.join(", ")}` : "";
      return {
        path: [...path, key],
        message: `unknown key "${key}"${hint}${list}`,
        atKey: true,
        ...(meant === undefined ? {} : { meant }),
      };
    });
  }
  const value = valueAt(input, issue.path);
  if (issue.code === "invalid_type" && value === undefined && issue.path.length > 0) {
    const parent = valueAt(input, issue.path.slice(0, -1));
    if (isPlainObject(parent))
      return [{ path, message: `missing required key "${String(path.at(-1))}"`, missing: true }];
  }
  if (issue.code === "invalid_value" && typeof value === "string") {
    const hint = didYouMean(
      value,
      issue.values.filter((option): option is string => typeof option === "string"),
    );
    return [{ path, message: `${issue.message}${hint}` }];
  }
  return [{ path, message: issue.message }];
}

/**
 * Messages for issues the schema did not word itself. Zod gives precedence to a
 * message set on the schema (`.min(1, "...")`), so adapters keep their own wording.
 */
export function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      return `expected ${typeName(issue.expected)}, got ${describeValue(issue.input)}`;
    case "invalid_value":
      return issue.values.length === 1
        ? `expected ${JSON.stringify(issue.values[0])}`
        : `expected one of: ${issue.values.map((option) => String(option)).join(", ")}`;
    case "too_small":
      return boundMessage(issue.origin, "at least", "more than", issue.minimum, issue.inclusive);
    case "too_big":
      return boundMessage(issue.origin, "at most", "less than", issue.maximum, issue.inclusive);
    case "invalid_format":
      return issue.format === "regex" && "pattern" in issue
        ? `does not match the pattern ${String(issue.pattern)}`
        : `expected a valid ${issue.format}`;
    case "not_multiple_of":
      return `expected a multiple of ${String(issue.divisor)}`;
    case "invalid_union":
      return "does not match any of the allowed forms";
    case "unrecognized_keys":
      return `unknown keys: ${issue.keys.join(", ")}`;
    default:
      return undefined;
  }
}

function boundMessage(
  origin: string,
  inclusiveWord: string,
  exclusiveWord: string,
  bound: number | bigint | Date,
  inclusive: boolean | undefined,
): string {
  const word = inclusive === false ? exclusiveWord : inclusiveWord;
  const amount = bound instanceof Date ? bound.toISOString() : String(bound);
  if (origin === "array" || origin === "set")
    return `expected ${word} ${amount} item${amount === "1" ? "" : "s"}`;
  if (origin === "string") {
    return inclusiveWord === "at least" && amount === "1" && inclusive !== false
      ? "must not be empty"
      : `expected ${word} ${amount} character${amount === "1" ? "" : "s"}`;
  }
  return `expected a value ${word} ${amount}`;
}

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  array: "a list",
  object: "an object (key: value pairs)",
  record: "an object (key: value pairs)",
  date: "a date",
  null: "null",
  bigint: "an integer",
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

/** The kind of a value, never the value itself (it may be a secret in the wrong place). */
function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null (an empty value)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return "a string";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a number";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "object") return "an object";
  return typeof value;
}

function convertText(text: string, expected: string): number | boolean | undefined {
  const trimmed = text.trim();
  if ((expected === "number" || expected === "int") && /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(trimmed)) {
    return Number(trimmed);
  }
  if (expected === "boolean" && (trimmed === "true" || trimmed === "false")) return trimmed === "true";
  return undefined;
}

/** The value at a path of plain objects and arrays, or undefined. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === "number") current = current[segment];
    else if (isPlainObject(current) && typeof segment !== "symbol") current = current[String(segment)];
    else return undefined;
  }
  return current;
}

function withValueAt(root: unknown, path: readonly PropertyKey[], value: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  if (Array.isArray(root) && typeof head === "number") {
    const copy = [...root];
    copy[head] = withValueAt(root[head], rest, value);
    return copy;
  }
  if (isPlainObject(root) && typeof head !== "symbol") {
    return { ...root, [String(head)]: withValueAt(root[String(head)], rest, value) };
  }
  return root;
}

interface SchemaDefinition {
  type: string;
  shape?: Record<string, unknown>;
  innerType?: unknown;
  in?: unknown;
  element?: unknown;
  options?: readonly unknown[];
  left?: unknown;
  right?: unknown;
  valueType?: unknown;
  getter?: () => unknown;
}

function definitionOf(schema: unknown): SchemaDefinition | undefined {
  return (schema as { _zod?: { def?: SchemaDefinition } } | undefined)?._zod?.def;
}

/** The keys an object schema at `path` accepts, to suggest one for a misspelt key. */
export function keysAt(schema: unknown, path: readonly PropertyKey[]): string[] {
  const keys = new Set<string>();
  for (const object of objectsAt(schema, path, 0)) {
    for (const key of Object.keys(definitionOf(object)?.shape ?? {})) keys.add(key);
  }
  return [...keys];
}

function objectsAt(schema: unknown, path: readonly PropertyKey[], depth: number): unknown[] {
  const definition = definitionOf(schema);
  if (!definition || depth > 64) return [];
  switch (definition.type) {
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "nonoptional":
    case "readonly":
    case "catch":
      return objectsAt(definition.innerType, path, depth + 1);
    case "pipe":
      return objectsAt(definition.in, path, depth + 1);
    case "lazy":
      return definition.getter ? objectsAt(definition.getter(), path, depth + 1) : [];
    case "union":
      return (definition.options ?? []).flatMap((option) => objectsAt(option, path, depth + 1));
    case "intersection":
      return [
        ...objectsAt(definition.left, path, depth + 1),
        ...objectsAt(definition.right, path, depth + 1),
      ];
  }
  const [head, ...rest] = path;
  if (head === undefined) return definition.type === "object" ? [schema] : [];
  if (definition.type === "object") return objectsAt(definition.shape?.[String(head)], rest, depth + 1);
  if (definition.type === "array") return objectsAt(definition.element, rest, depth + 1);
  if (definition.type === "record") return objectsAt(definition.valueType, rest, depth + 1);
  return [];
}
