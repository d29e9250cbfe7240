import type { FieldPath } from "./source-document";

export type Environment = Readonly<Record<string, string | undefined>>;

export interface InterpolationProblem {
  path: FieldPath;
  message: string;
}

export interface Interpolated {
  value: unknown;
  problems: InterpolationProblem[];
  /** Paths (pathKey) of strings that took a value from the environment; the only ones later coerced to numbers or booleans. */
  substituted: Set<string>;
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string of a config (plain objects
 * and arrays only: an injected client instance is left alone). `$${` writes a
 * literal `${`. As in a shell, the default applies when VAR is unset or empty.
 */
export function interpolate(value: unknown, env: Environment): Interpolated {
  const problems: InterpolationProblem[] = [];
  const substituted = new Set<string>();
  const visit = (current: unknown, path: PropertyKey[]): unknown => {
    if (typeof current === "string") {
      const result = interpolateText(current, env);
      for (const message of result.problems) problems.push({ path, message });
      if (result.substituted) substituted.add(pathKey(path));
      return result.text;
    }
    if (Array.isArray(current)) return current.map((item, index) => visit(item, [...path, index]));
    if (isPlainObject(current)) {
      const copy: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(current)) copy[key] = visit(inner, [...path, key]);
      return copy;
    }
    return current;
  };
  return { value: visit(value, []), problems, substituted };
}

/** Interpolates one string; reports every unset variable and malformed reference in it. */
export function interpolateText(
  text: string,
  env: Environment,
): { text: string; problems: string[]; substituted: boolean } {
  if (!text.includes("$")) return { text, problems: [], substituted: false };
  const problems: string[] = [];
  let output = "";
  let substituted = false;
  let index = 0;
  while (index < text.length) {
    const dollar = text.indexOf("$", index);
    if (dollar === -1) {
      output += text.slice(index);
      break;
    }
    output += text.slice(index, dollar);
    if (text.startsWith("$${", dollar)) {
      output += "${";
      index = dollar + 3;
      continue;
    }
    if (!text.startsWith("${", dollar)) {
      output += "$";
      index = dollar + 1;
      continue;
    }
    const close = text.indexOf("}", dollar + 2);
    if (close === -1) {
      problems.push(`"${text.slice(dollar)}" has no closing "}" (write $\${ for a literal \${)`);
      output += text.slice(dollar);
      break;
    }
    const reference = text.slice(dollar + 2, close);
    const separator = reference.indexOf(":-");
    const name = separator === -1 ? reference : reference.slice(0, separator);
    const fallback = separator === -1 ? undefined : reference.slice(separator + 2);
    if (!VARIABLE_NAME.test(name)) {
      problems.push(`"\${${reference}}" is not a variable reference; write \${NAME} or \${NAME:-default}`);
    } else {
      const found = env[name];
      if (found !== undefined && (found !== "" || fallback === undefined)) output += found;
      else if (fallback !== undefined) output += fallback;
      // The example keeps the name out: `DB_PASSWORD:-...` would look like a secret to redaction.
      else
        problems.push(
          `environment variable ${name} is not set; set it, or give a default as in \${VAR:-default}`,
        );
      substituted = true;
    }
    index = close + 1;
  }
  return { text: output, problems, substituted };
}

/** A stable key for a path, to compare paths found by different walks. */
export function pathKey(path: FieldPath): string {
  return JSON.stringify(path.map((segment) => (typeof segment === "number" ? segment : String(segment))));
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
