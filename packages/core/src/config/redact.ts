import { redactConfig } from "../errors/redact";
import { isPlainObject } from "./interpolate";
import type { ResolvedPipeline } from "./types";

/**
 * The pipeline's config as written (after `${VAR}` interpolation), safe to print:
 * secret-looking keys and URL passwords masked, and injected objects (a client
 * instance passed from code) shown by their class name.
 */
export function redactedConfig(resolved: Pick<ResolvedPipeline, "raw">): unknown {
  return redactConfig(displayable(resolved.raw, new Set()));
}

function displayable(value: unknown, ancestors: Set<unknown>): unknown {
  if (typeof value === "function") return "[function]";
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== "object" || value === null) return value;
  if (ancestors.has(value)) return "[circular]";
  if (!Array.isArray(value) && !isPlainObject(value)) return `[${value.constructor?.name ?? "object"}]`;
  ancestors.add(value);
  const copy = Array.isArray(value)
    ? value.map((item) => displayable(item, ancestors))
    : Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, displayable(inner, ancestors)]));
  ancestors.delete(value);
  return copy;
}
