import type { AdapterDefinition } from "../adapters/types";
import { isRecordKind, type RecordKind } from "../dsl/kinds";
import { isPlainObject } from "./interpolate";

/** A source, target or processor as far as it could be read, with its adapter once resolved. */
export interface EntryView {
  section: "sources" | "targets" | "routes";
  index: number;
  /** Where the entry sits in the file: `["sources", 0]`, `["routes", 1, "processors", 0]`. */
  at: readonly (string | number)[];
  role: "source" | "target" | "processor";
  id?: string;
  type?: string;
  config: unknown;
  /** The `kinds` the file lists (sources only), valid kinds only. */
  kinds?: RecordKind[];
  /** The `kinds` list as written, to point at an entry of it. */
  rawKinds?: readonly unknown[];
  definition?: AdapterDefinition;
  /** A source's own processing steps, in order. */
  processors?: EntryView[];
}

export interface RouteView {
  index: number;
  /** The route's processing steps, in order. */
  processors?: EntryView[];
  from?: string;
  /** Target ids with their index in `to`. */
  to: { id: string; index: number }[];
  kinds?: { kind: RecordKind; index: number }[];
}

/**
 * A lenient reading of a pipeline config: whatever has the right type, even when the
 * schema rejects other parts. The cross-field rules and adapter resolution work on it,
 * so a file with a misspelt key still gets its adapters and routes checked.
 */
export interface PipelineView {
  sources: EntryView[];
  targets: EntryView[];
  /** Undefined when the file has no `routes` (every source then feeds every target). */
  routes: RouteView[] | undefined;
  deadLetterTarget?: string;
  stateTarget?: string;
}

export function viewOf(raw: unknown): PipelineView {
  const root = isPlainObject(raw) ? raw : {};
  const delivery = isPlainObject(root.delivery) ? root.delivery : {};
  const deadLetter = isPlainObject(delivery.deadLetter) ? delivery.deadLetter : {};
  const state = isPlainObject(root.state) ? root.state : {};
  return {
    sources: entriesOf(root.sources, "sources"),
    targets: entriesOf(root.targets, "targets"),
    routes: Array.isArray(root.routes) ? root.routes.flatMap(routeOf) : undefined,
    ...(typeof deadLetter.target === "string" ? { deadLetterTarget: deadLetter.target } : {}),
    ...(state.store === "target" && typeof state.target === "string" ? { stateTarget: state.target } : {}),
  };
}

function entriesOf(list: unknown, section: EntryView["section"]): EntryView[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((item, index): EntryView[] => {
    if (!isPlainObject(item)) return [];
    const kinds = Array.isArray(item.kinds) ? item.kinds.filter(isRecordKind) : undefined;
    return [
      {
        section,
        index,
        at: [section, index],
        role: section === "sources" ? "source" : "target",
        config: item.config,
        ...(section === "sources" ? processorsOf(item.processors, [section, index]) : {}),
        ...(typeof item.id === "string" ? { id: item.id } : {}),
        ...(typeof item.type === "string" && item.type !== "" ? { type: item.type } : {}),
        ...(kinds && kinds.length > 0 ? { kinds, rawKinds: item.kinds as unknown[] } : {}),
      },
    ];
  });
}

function routeOf(item: unknown, index: number): RouteView[] {
  if (!isPlainObject(item)) return [];
  const to = Array.isArray(item.to)
    ? item.to.flatMap((id, position) => (typeof id === "string" ? [{ id, index: position }] : []))
    : [];
  const kinds = Array.isArray(item.kinds)
    ? item.kinds.flatMap((kind, position) => (isRecordKind(kind) ? [{ kind, index: position }] : []))
    : undefined;
  return [
    {
      index,
      to,
      ...processorsOf(item.processors, ["routes", index]),
      ...(typeof item.from === "string" ? { from: item.from } : {}),
      ...(kinds && kinds.length > 0 ? { kinds } : {}),
    },
  ];
}

function processorsOf(list: unknown, owner: readonly (string | number)[]): { processors?: EntryView[] } {
  if (!Array.isArray(list)) return {};
  const processors = list.flatMap((item, index): EntryView[] => {
    if (!isPlainObject(item)) return [];
    return [
      {
        section: owner[0] as EntryView["section"],
        index,
        at: [...owner, "processors", index],
        role: "processor",
        config: item.config,
        ...(typeof item.id === "string" ? { id: item.id } : {}),
        ...(typeof item.type === "string" && item.type !== "" ? { type: item.type } : {}),
      },
    ];
  });
  return processors.length > 0 ? { processors } : {};
}

/** Every processor entry of the file: the sources' own, then the routes'. */
export function processorEntries(view: PipelineView): EntryView[] {
  return [
    ...view.sources.flatMap((source) => source.processors ?? []),
    ...(view.routes ?? []).flatMap((route) => route.processors ?? []),
  ];
}

/**
 * Kinds a source emits in this pipeline: the file's `kinds`, else all its adapter reads, as its
 * own processors change them.
 */
export function sourceKinds(source: EntryView): RecordKind[] | undefined {
  if (!source.definition) return undefined;
  const offered = source.definition.capabilities.kinds;
  const read = source.kinds ? source.kinds.filter((kind) => offered.includes(kind)) : [...offered];
  return chainKinds(read, source.processors ?? []);
}

/**
 * The kinds that come out of processing steps given `kinds`: each step takes the kinds it
 * consumes and hands on the kinds it emits (the same kinds when it says none); other kinds
 * pass it. Steps whose adapter is unknown are skipped (their own problem is reported).
 */
export function chainKinds(kinds: readonly RecordKind[], processors: readonly EntryView[]): RecordKind[] {
  let current = [...kinds];
  for (const processor of processors) {
    const capabilities = processor.definition?.capabilities;
    if (!capabilities) continue;
    const taken = current.filter((kind) => capabilities.kinds.includes(kind));
    if (taken.length === 0) continue;
    const emitted = capabilities.emits ?? taken;
    current = [...new Set([...current.filter((kind) => !taken.includes(kind)), ...emitted])];
  }
  return current;
}
