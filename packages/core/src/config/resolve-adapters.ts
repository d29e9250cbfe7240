import type { AdapterDefinition } from "../adapters/types";
import type { AdapterRegistry, AdapterRole } from "../registry/registry";
import { type PipelineView, processorEntries } from "./pipeline-view";
import { didYouMean } from "./suggest";
import type { PendingProblem } from "./zod-problems";

/**
 * Looks up the adapter of every source and target whose `type` could be read, and
 * records it on the view. Each `type` is resolved once, in file order, so a file
 * adapter is imported once however often it is used.
 */
export async function resolveAdapters(
  view: PipelineView,
  registry: AdapterRegistry,
  baseDir: string,
): Promise<PendingProblem[]> {
  const problems: PendingProblem[] = [];
  const resolved = new Map<string, { definition?: AdapterDefinition; message?: string }>();
  for (const entry of [...view.sources, ...view.targets, ...processorEntries(view)]) {
    const role = entry.role;
    if (entry.type === undefined) continue;
    const key = `${role}:${entry.type}`;
    let outcome = resolved.get(key);
    if (!outcome) {
      const result = await registry.resolve(role, entry.type, { baseDir });
      outcome = result.ok
        ? { definition: result.value }
        : { message: explainNotFound(registry, role, entry.type, result.error) };
      resolved.set(key, outcome);
    }
    if (outcome.definition) entry.definition = outcome.definition;
    else problems.push({ path: [...entry.at, "type"], message: outcome.message ?? "" });
  }
  return problems;
}

function explainNotFound(
  registry: AdapterRegistry,
  role: AdapterRole,
  type: string,
  error: { code: string; message: string; context: Record<string, unknown> },
): string {
  const otherRole = (["source", "target", "processor"] as const).find(
    (candidate) => candidate !== role && registry.get(candidate, type) !== undefined,
  );
  if (error.code === "ADAPTER_NOT_FOUND" && otherRole !== undefined) {
    const names = registry.list(role).map((adapter) => adapter.name);
    const list = names.length > 0 ? `${role}s: ${names.join(", ")}` : `no ${role}s are registered`;
    return `"${type}" is a ${otherRole} adapter, not a ${role}; ${list}`;
  }
  const available = error.context.available;
  const hint = Array.isArray(available) ? didYouMean(type, available.map(String)) : "";
  if (hint === "") return error.message;
  // "unknown source type "x". Available sources: ..." -> "unknown source type "x"; did you mean y? Available ..."
  const sentenceEnd = error.message.indexOf(". ");
  return sentenceEnd === -1
    ? `${error.message}${hint}`
    : `${error.message.slice(0, sentenceEnd)}${hint} ${error.message.slice(sentenceEnd + 2)}`;
}
