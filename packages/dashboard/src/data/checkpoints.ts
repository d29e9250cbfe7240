import { FileStateStore, type Pipeline } from "@qicore/core";

export interface CheckpointView {
  /** Where they are kept (`target "db"`, a file path). */
  location: string;
  /** Per source: its last saved checkpoint (offsets, cursors), or null when it has none yet. */
  sources: { id: string; checkpoint: unknown; error?: string }[];
}

/**
 * Each source's saved checkpoint, read from where the pipeline keeps them: a state file is read
 * directly; a target's store (a table) through the running target, so `qicore ui` without a
 * run shows checkpoints kept in files only.
 */
export async function checkpointView(pipeline: Pipeline, location: string): Promise<CheckpointView> {
  const { state } = pipeline.config;
  let store: { load(pipeline: string, source: string): Promise<unknown> } | undefined;
  let problem: string | undefined;
  const holderId =
    state.store === "target"
      ? state.target
      : state.store === "auto"
        ? pipeline.config.targets.find((spec) => pipeline.target(spec.id)?.canStoreState)?.id
        : undefined;
  if (holderId) {
    const target = pipeline.target(holderId);
    const opened = target ? await target.stateStore() : undefined;
    if (opened?.ok) store = opened.value;
    else problem = `target "${holderId}" keeps them; it is read while the pipeline runs (qicore run --ui)`;
  } else if ("path" in state) store = new FileStateStore(state.path);
  const sources: CheckpointView["sources"] = [];
  for (const source of pipeline.config.sources) {
    if (!store) {
      sources.push({ id: source.id, checkpoint: null, ...(problem ? { error: problem } : {}) });
      continue;
    }
    try {
      sources.push({ id: source.id, checkpoint: (await store.load(pipeline.name, source.id)) ?? null });
    } catch (thrown) {
      sources.push({ id: source.id, checkpoint: null, error: (thrown as Error).message });
    }
  }
  return { location, sources };
}
