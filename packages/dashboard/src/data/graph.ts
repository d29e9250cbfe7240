import type { ResolvedPipeline } from "@qicore/core";

/** One box of the pipeline graph. */
export interface GraphNode {
  id: string;
  role: "source" | "processor" | "target";
  type: string;
  /** Processors are per route: `<source>/<processor id>`, as their metrics label them. */
  label: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  kinds: string[];
}

export interface PipelineGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/**
 * The pipeline as sources → processors → targets, from the resolved routes. A processor node's
 * id is `<source>/<processor id>`, the key its counters have in the metrics snapshot.
 */
export function pipelineGraph(config: ResolvedPipeline): PipelineGraph {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  for (const source of config.sources)
    nodes.push({ id: `source:${source.id}`, role: "source", type: source.type, label: source.id });
  for (const route of config.routes) {
    let previous = `source:${route.from}`;
    let kinds: string[] = route.kinds;
    for (const processor of route.processors ?? []) {
      const id = `processor:${route.from}/${processor.id}`;
      if (!nodes.some((node) => node.id === id))
        nodes.push({ id, role: "processor", type: processor.type, label: `${route.from}/${processor.id}` });
      addEdge(edges, previous, id, kinds);
      previous = id;
      kinds = [];
    }
    for (const target of route.to) addEdge(edges, previous, `target:${target}`, route.emits);
  }
  for (const target of config.targets)
    nodes.push({ id: `target:${target.id}`, role: "target", type: target.type, label: target.id });
  return { nodes, edges };
}

function addEdge(edges: GraphEdge[], from: string, to: string, kinds: readonly string[]): void {
  const known = edges.find((edge) => edge.from === from && edge.to === to);
  if (known) {
    for (const kind of kinds) if (!known.kinds.includes(kind)) known.kinds.push(kind);
  } else edges.push({ from, to, kinds: [...kinds] });
}
