import type { AdapterDefinition } from "../adapters/types";
import { isRecordKind, type RecordKind } from "../dsl/kinds";
import { isPlainObject } from "./interpolate";

/** A source or target as far as it could be read, with its adapter once resolved. */
export interface EntryView {
  section: "sources" | "targets";
  index: number;
  id?: string;
  type?: string;
  config: unknown;
  /** The `kinds` the file lists (sources only), valid kinds only. */
  kinds?: RecordKind[];
  /** The `kinds` list as written, to point at an entry of it. */
  rawKinds?: readonly unknown[];
  definition?: AdapterDefinition;
}

export interface RouteView {
  index: number;
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
        config: item.config,
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
      ...(typeof item.from === "string" ? { from: item.from } : {}),
      ...(kinds && kinds.length > 0 ? { kinds } : {}),
    },
  ];
}

/** Kinds a source emits in this pipeline: the file's `kinds`, else all its adapter reads. */
export function sourceKinds(source: EntryView): RecordKind[] | undefined {
  if (!source.definition) return undefined;
  const offered = source.definition.capabilities.kinds;
  return source.kinds ? source.kinds.filter((kind) => offered.includes(kind)) : [...offered];
}
