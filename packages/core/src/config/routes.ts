import { RECORD_KINDS, type RecordKind } from "../dsl/kinds";
import { chainKinds, type EntryView, type PipelineView, sourceKinds } from "./pipeline-view";
import type { ResolvedRoute } from "./types";

/** A route as the view gives it: its processors are entries still (their configs parsed later). */
export type ExpandedRoute = Omit<ResolvedRoute, "processors"> & { processors?: EntryView[] };

/**
 * The routes a pipeline runs with. Without `routes`, every source feeds every target
 * (except the dead-letter target) the kinds both support; a route without `kinds`
 * carries what the source emits and each of its targets accepts. Sources or targets
 * whose adapter is unknown are left out.
 */
export function expandRoutes(view: PipelineView): ExpandedRoute[] {
  const routes: ExpandedRoute[] = [];
  if (view.routes === undefined) {
    const targets = view.targets.filter((target) => target.id !== view.deadLetterTarget);
    for (const source of view.sources) {
      if (source.id === undefined) continue;
      routes.push(...groupByKinds(source.id, targetsWithKinds(source, targets)));
    }
    return routes;
  }
  for (const route of view.routes) {
    const source = view.sources.find((candidate) => candidate.id === route.from);
    if (!source?.id) continue;
    const targets = route.to.flatMap(
      ({ id }) => view.targets.find((candidate) => candidate.id === id && candidate.definition) ?? [],
    );
    if (route.processors) {
      // What goes in: the kinds written, else all the source emits; what comes out is the chain's.
      const kinds = route.kinds ? unique(route.kinds.map(({ kind }) => kind)) : (sourceKinds(source) ?? []);
      const to = unique(targets.map((target) => target.id as string));
      if (to.length > 0)
        routes.push({
          from: source.id,
          to,
          kinds,
          processors: route.processors,
          emits: chainKinds(kinds, route.processors),
        });
    } else if (route.kinds) {
      const to = unique(targets.map((target) => target.id as string));
      const kinds = unique(route.kinds.map(({ kind }) => kind));
      if (to.length > 0) routes.push({ from: source.id, to, kinds, emits: kinds });
    } else {
      routes.push(...groupByKinds(source.id, targetsWithKinds(source, targets)));
    }
  }
  return routes;
}

/** Record kinds a source can send a target: what the source emits and the target accepts. */
export function sharedKinds(source: EntryView, target: EntryView): RecordKind[] {
  const emitted = sourceKinds(source) ?? [];
  const accepted = target.definition?.capabilities.kinds ?? [];
  return RECORD_KINDS.filter((kind) => emitted.includes(kind) && accepted.includes(kind));
}

function targetsWithKinds(source: EntryView, targets: EntryView[]): { id: string; kinds: RecordKind[] }[] {
  if (!source.definition) return [];
  return targets.flatMap((target) =>
    target.id !== undefined && target.definition
      ? [{ id: target.id, kinds: sharedKinds(source, target) }]
      : [],
  );
}

// Targets that get the same kinds share one route, so the expanded config reads like a hand-written one.
function groupByKinds(from: string, targets: { id: string; kinds: RecordKind[] }[]): ExpandedRoute[] {
  const groups = new Map<string, ExpandedRoute>();
  for (const { id, kinds } of targets) {
    if (kinds.length === 0) continue;
    const key = kinds.join(",");
    const group = groups.get(key);
    if (group) {
      if (!group.to.includes(id)) group.to.push(id);
    } else groups.set(key, { from, to: [id], kinds, emits: kinds });
  }
  return [...groups.values()];
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
