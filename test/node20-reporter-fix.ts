/**
 * Vitest 5's reporter groups repeated errors with `Map.groupBy`, which Node 20 (the runtime
 * this project supports) lacks: a failing test then ends the run with "Map.groupBy is not a
 * function" instead of its assertion message. Imported by the vitest configs, which load in
 * the process the reporter runs in.
 */
type GroupBy = <K, V>(items: Iterable<V>, key: (item: V, index: number) => K) => Map<K, V[]>;

const maps = Map as unknown as { groupBy?: GroupBy };
maps.groupBy ??= <K, V>(items: Iterable<V>, key: (item: V, index: number) => K) => {
  const groups = new Map<K, V[]>();
  let index = 0;
  for (const item of items) {
    const group = key(item, index++);
    const list = groups.get(group);
    if (list) list.push(item);
    else groups.set(group, [item]);
  }
  return groups;
};
