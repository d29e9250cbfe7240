import { QiError } from "../errors/qi-error";
import { redactSecrets } from "../errors/redact";
import type { FieldPath, SourceDocument } from "./source-document";
import type { ConfigError, ConfigProblem } from "./types";
import type { PendingProblem } from "./zod-problems";

/** `sources[0].config.count` for ["sources", 0, "config", "count"]; odd keys in brackets: `headers["x.y"]`. */
export function formatPath(path: FieldPath): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else {
      const key = String(segment);
      if (/^[A-Za-z_$][\w$-]*$/.test(key)) text += text === "" ? key : `.${key}`;
      else text += `[${JSON.stringify(key)}]`;
    }
  }
  return text;
}

/** Gives pending problems their printable path and, from the document, their line and column. */
export function locateProblems(
  pending: readonly PendingProblem[],
  document: SourceDocument | undefined,
  file: string | undefined,
): ConfigProblem[] {
  const seen = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const problem of pending) {
    const path = formatPath(problem.path);
    const message = redactSecrets(problem.message);
    const key = `${path}\n${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const position = document?.locate(problem.path, { key: problem.atKey === true });
    problems.push({
      path,
      message,
      ...(file === undefined ? {} : { file }),
      ...(position ? { line: position.line, column: position.column } : {}),
    });
  }
  // File order, for people and editors; problems without a position keep their order at the end.
  return problems
    .map((problem, order) => ({ problem, order }))
    .sort(
      (a, b) =>
        (a.problem.line ?? Number.POSITIVE_INFINITY) - (b.problem.line ?? Number.POSITIVE_INFINITY) ||
        (a.problem.column ?? 0) - (b.problem.column ?? 0) ||
        a.order - b.order,
    )
    .map(({ problem }) => problem);
}

/**
 * One line per problem, position first so editors and terminals link to it:
 *
 *     pipeline.yaml:12:5  sources[0].config.coins  expected a list, got a string
 */
export function formatConfigProblems(problems: readonly ConfigProblem[]): string {
  return problems
    .map((problem) => {
      const where = [problem.file, problem.line, problem.line === undefined ? undefined : problem.column]
        .filter((part) => part !== undefined)
        .join(":");
      return [where, problem.path === "" ? "(top level)" : problem.path, problem.message]
        .filter((part) => part !== "")
        .join("  ");
    })
    .join("\n");
}

/** The error the loaders return: every problem in its context, and listed in its message. */
export function configError(
  problems: ConfigProblem[],
  file: string | undefined,
  code: "CONFIG_INVALID" | "CONFIG_NOT_FOUND" = "CONFIG_INVALID",
  cause?: unknown,
): ConfigError {
  const subject = file ?? "pipeline config";
  const summary =
    code === "CONFIG_NOT_FOUND"
      ? `${subject}: ${problems[0]?.message ?? "not found"}`
      : `${subject} has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n${formatConfigProblems(problems)}`;
  return new QiError({
    code,
    message: summary,
    category: "VALIDATION",
    retryable: false,
    context: { problems, ...(file === undefined ? {} : { file }) },
    ...(cause === undefined ? {} : { cause }),
  }) as ConfigError;
}

/** The problems a loader error carries (empty for other errors). */
export function configProblemsOf(error: unknown): ConfigProblem[] {
  if (!QiError.isInstance(error)) return [];
  const problems = error.context.problems;
  return Array.isArray(problems) ? (problems as ConfigProblem[]) : [];
}
