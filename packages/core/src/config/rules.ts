import type { RecordKind } from "../dsl/kinds";
import type { EntryView, PipelineView } from "./pipeline-view";
import { chainKinds, sourceKinds } from "./pipeline-view";
import { expandRoutes, sharedKinds } from "./routes";
import { didYouMean } from "./suggest";
import type { PendingProblem } from "./zod-problems";

/** A cross-field check: reads the whole pipeline, returns what is wrong. */
export type PipelineRule = (view: PipelineView) => PendingProblem[];

/** Ids are unique across sources and targets, since routes and the state and dead-letter settings name them. */
export const uniqueIds: PipelineRule = (view) => {
  const seen = new Map<string, EntryView>();
  const problems: PendingProblem[] = [];
  for (const entry of [...view.sources, ...view.targets]) {
    if (entry.id === undefined) continue;
    const first = seen.get(entry.id);
    if (first) {
      problems.push({
        path: [entry.section, entry.index, "id"],
        message: `duplicate id "${entry.id}" (${first.section}[${first.index}] has it too); ids must be unique across sources and targets`,
      });
    } else seen.set(entry.id, entry);
  }
  return problems;
};

/** A route goes from an existing source to existing targets. */
export const routeEndpoints: PipelineRule = (view) =>
  (view.routes ?? []).flatMap((route) => {
    const problems: PendingProblem[] = [];
    if (route.from !== undefined && !hasId(view.sources, route.from)) {
      problems.push({
        path: ["routes", route.index, "from"],
        message: hasId(view.targets, route.from)
          ? `"${route.from}" is a target; a route goes from a source to targets`
          : unknownId("source", route.from, view.sources),
      });
    }
    for (const { id, index } of route.to) {
      if (hasId(view.targets, id)) continue;
      problems.push({
        path: ["routes", route.index, "to", index],
        message: hasId(view.sources, id)
          ? `"${id}" is a source; a route sends records to targets`
          : unknownId("target", id, view.targets),
      });
    }
    return problems;
  });

/** The dead-letter target exists and its adapter can store dead letters. */
export const deadLetterTarget: PipelineRule = (view) => {
  const id = view.deadLetterTarget;
  if (id === undefined) return [];
  const path = ["delivery", "deadLetter", "target"];
  const target = view.targets.find((candidate) => candidate.id === id);
  if (!target) return [{ path, message: unknownId("target", id, view.targets) }];
  if (target.definition && target.definition.capabilities.deadLetter !== true) {
    const able = view.targets.filter((candidate) => candidate.definition?.capabilities.deadLetter === true);
    return [
      {
        path,
        message: `target "${id}" (type ${target.type}) cannot store dead letters${
          able.length > 0 ? `; targets that can: ${able.map((candidate) => candidate.id).join(", ")}` : ""
        }; or write them to a file: deadLetter: { path: ./dead-letters.jsonl }`,
      },
    ];
  }
  return [];
};

/** The state store target exists. */
export const stateTarget: PipelineRule = (view) => {
  const id = view.stateTarget;
  if (id === undefined || hasId(view.targets, id)) return [];
  return [{ path: ["state", "target"], message: unknownId("target", id, view.targets) }];
};

/** A source's `kinds` are kinds its adapter reads. */
export const sourceKindsSupported: PipelineRule = (view) =>
  view.sources.flatMap((source) => {
    const offered = source.definition?.capabilities.kinds;
    if (!offered || !source.kinds) return [];
    return source.kinds.flatMap((kind) =>
      offered.includes(kind)
        ? []
        : [
            {
              path: ["sources", source.index, "kinds", rawIndexOf(source, kind)],
              message: `source "${source.id}" (type ${source.type}) does not emit ${kind}; it emits ${offered.join(", ")}`,
            },
          ],
    );
  });

/** Kinds a route names are emitted by its source and accepted by each of its targets; a route without kinds carries something. */
export const routeKindsSupported: PipelineRule = (view) =>
  (view.routes ?? []).flatMap((route) => {
    const source = view.sources.find((candidate) => candidate.id === route.from);
    const targets = route.to.flatMap(({ id, index }) => {
      const target = view.targets.find((candidate) => candidate.id === id);
      return target ? [{ target, index }] : [];
    });
    const problems: PendingProblem[] = [];
    const emitted = source ? sourceKinds(source) : undefined;
    if (route.processors) {
      // The targets get what the route's processors hand on, whatever goes in.
      const carried = route.kinds?.map(({ kind }) => kind) ?? emitted;
      if (carried) {
        problems.push(...stepsThatTakeNothing(route.processors, carried));
        const delivered = chainKinds(carried, route.processors);
        for (const { target, index } of targets) {
          const accepted = target.definition?.capabilities.kinds;
          const refused = accepted ? delivered.filter((kind) => !accepted.includes(kind)) : [];
          if (refused.length > 0)
            problems.push({
              path: ["routes", route.index, "to", index],
              message: `target "${target.id}" (type ${target.type}) does not accept ${refused.join(", ")}, which this route's processors hand on; it accepts ${accepted?.join(", ")}`,
            });
        }
      }
      if (!route.kinds) return problems;
    }
    if (route.kinds) {
      for (const { kind, index } of route.kinds) {
        const path = ["routes", route.index, "kinds", index];
        if (source && emitted && !emitted.includes(kind)) {
          problems.push({
            path,
            message: `source "${source.id}" does not emit ${kind}; it emits ${emitted.join(", ")}`,
          });
        }
        for (const { target } of route.processors ? [] : targets) {
          const accepted = target.definition?.capabilities.kinds;
          if (accepted && !accepted.includes(kind)) {
            problems.push({
              path,
              message: `target "${target.id}" (type ${target.type}) does not accept ${kind}; it accepts ${accepted.join(", ")}`,
            });
          }
        }
      }
    } else if (source && emitted) {
      for (const { target, index } of targets) {
        if (!target.definition || sharedKinds(source, target).length > 0) continue;
        problems.push({
          path: ["routes", route.index, "to", index],
          message: `nothing to route: source "${source.id}" emits ${emitted.join(", ")}, target "${target.id}" accepts ${target.definition.capabilities.kinds.join(", ")}`,
        });
      }
    }
    return problems;
  });

/** A source's own processing steps each take something of what the source reads. */
export const sourceProcessorsTakeSomething: PipelineRule = (view) =>
  view.sources.flatMap((source) => {
    if (!source.processors || !source.definition) return [];
    const offered = source.definition.capabilities.kinds;
    const read = source.kinds ? source.kinds.filter((kind) => offered.includes(kind)) : [...offered];
    return stepsThatTakeNothing(source.processors, read);
  });

/** The steps of a chain that get none of the kinds they consume: a mistake, since they do nothing. */
function stepsThatTakeNothing(
  processors: readonly EntryView[],
  kinds: readonly RecordKind[],
): PendingProblem[] {
  const problems: PendingProblem[] = [];
  let current = [...kinds];
  for (const [position, processor] of processors.entries()) {
    const taken = processor.definition?.capabilities.kinds;
    if (taken && !current.some((kind) => taken.includes(kind))) {
      problems.push({
        path: [...processor.at, "type"],
        message: `processor "${processor.type}" takes ${taken.join(", ")}, but what reaches it here is ${current.join(", ") || "nothing"}`,
      });
    }
    current = chainKinds(current, processors.slice(position, position + 1));
  }
  return problems;
}

/** Every source sends its records somewhere; a source read for nothing is a mistake. */
export const everySourceRouted: PipelineRule = (view) => {
  const routes = expandRoutes(view);
  return view.sources.flatMap((source) => {
    if (source.id === undefined || !source.definition) return [];
    if (routes.some((route) => route.from === source.id)) return [];
    if (view.routes !== undefined) {
      // Problems of the routes themselves are reported on the routes.
      if (view.routes.some((route) => route.from === source.id)) return [];
      return [
        {
          path: ["sources", source.index],
          message: `source "${source.id}" is not routed to any target; add a route { from: ${source.id}, to: [<target id>] }`,
        },
      ];
    }
    const candidates = view.targets.filter((target) => target.id !== view.deadLetterTarget);
    if (view.targets.length === 0) return [];
    if (candidates.length === 0) {
      return [
        {
          path: ["sources", source.index],
          message: `source "${source.id}" has no target to feed: the only target receives dead letters`,
        },
      ];
    }
    // A target whose adapter is unknown might accept the kinds; its own problem is reported.
    if (candidates.some((target) => !target.definition)) return [];
    return [
      {
        path: ["sources", source.index],
        message: `no target accepts what source "${source.id}" emits (${(sourceKinds(source) ?? []).join(", ")})`,
      },
    ];
  });
};

/** The rules every pipeline is checked with, in the order their problems are listed. */
export const PIPELINE_RULES: readonly PipelineRule[] = [
  uniqueIds,
  routeEndpoints,
  deadLetterTarget,
  stateTarget,
  sourceKindsSupported,
  sourceProcessorsTakeSomething,
  routeKindsSupported,
  everySourceRouted,
];

export function checkRules(
  view: PipelineView,
  rules: readonly PipelineRule[] = PIPELINE_RULES,
): PendingProblem[] {
  return rules.flatMap((rule) => rule(view));
}

function hasId(entries: EntryView[], id: string): boolean {
  return entries.some((entry) => entry.id === id);
}

function unknownId(role: "source" | "target", id: string, entries: EntryView[]): string {
  const ids = entries.flatMap((entry) => (entry.id === undefined ? [] : [entry.id]));
  const hint = didYouMean(id, ids);
  const list =
    ids.length > 0 ? `${role}s of this pipeline: ${ids.join(", ")}` : `this pipeline has no ${role}s`;
  return hint === "" ? `unknown ${role} "${id}"; ${list}` : `unknown ${role} "${id}"${hint} The ${list}`;
}

// The view keeps only valid kinds; the problem must point at the kind's place in the file's list.
function rawIndexOf(source: EntryView, kind: string): number {
  return source.rawKinds?.indexOf(kind) ?? 0;
}
