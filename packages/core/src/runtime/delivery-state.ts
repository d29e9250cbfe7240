import { resolve as resolvePath } from "node:path";
import type { StateStore } from "../adapters/types";
import type { ResolvedPipeline } from "../config/types";
import { type QiError, qiError } from "../errors/qi-error";
import { err, ok, type Result } from "../result/result";
import { type DeadLetterSink, FileDeadLetterSink, TargetDeadLetterSink } from "./dead-letters";
import { FileStateStore } from "./state-store";
import type { Target } from "./target";

/** Where a pipeline puts what it cannot deliver, and where it keeps its checkpoints. */
export interface DeliveryState {
  deadLetters: DeadLetterSink;
  stateStore: StateStore;
  /** Where the checkpoints are, for the summary (`target "db"`, a file path). */
  stateLocation: string;
}

/**
 * The dead-letter destination and the state store the config names. Checkpoints are kept
 * with the data by default (`store: auto`): in the first target that can hold them, so a
 * database that is new or was emptied has no checkpoint either, and its sources start over
 * instead of skipping what it lost.
 */
export async function openDeliveryState(
  config: ResolvedPipeline,
  targets: ReadonlyMap<string, Target>,
  given: StateStore | undefined,
): Promise<Result<DeliveryState, QiError>> {
  const { deadLetter } = config.delivery;
  let deadLetters: DeadLetterSink;
  if ("target" in deadLetter) {
    const target = targets.get(deadLetter.target);
    if (!target)
      return err(configBug(`dead-letter target "${deadLetter.target}" is not a target of this pipeline`));
    deadLetters = new TargetDeadLetterSink(target);
  } else deadLetters = new FileDeadLetterSink(resolvePath(config.baseDir, deadLetter.path));

  if (given) return ok({ deadLetters, stateStore: given, stateLocation: "the state store given in code" });
  const { state } = config;
  if (state.store === "target") {
    const target = targets.get(state.target);
    if (!target) return err(configBug(`state target "${state.target}" is not a target of this pipeline`));
    const store = await target.stateStore();
    if (!store.ok) return store;
    return ok({ deadLetters, stateStore: store.value, stateLocation: `target "${target.id}"` });
  }
  const holder =
    state.store === "auto" ? [...targets.values()].find((target) => target.canStoreState) : undefined;
  const store = holder ? await holder.stateStore() : undefined;
  if (holder && store?.ok)
    return ok({ deadLetters, stateStore: store.value, stateLocation: `target "${holder.id}"` });
  return ok({ deadLetters, stateStore: new FileStateStore(state.path), stateLocation: state.path });
}

/** Where dead letters and checkpoints go, said from the config before anything is open. */
export function describeDeliveryConfig(config: ResolvedPipeline): {
  deadLetters: string;
  checkpoints: string;
} {
  const { deadLetter } = config.delivery;
  return {
    deadLetters: "target" in deadLetter ? `target "${deadLetter.target}"` : `file ${deadLetter.path}`,
    checkpoints: config.state.store === "target" ? `target "${config.state.target}"` : config.state.path,
  };
}

function configBug(message: string): QiError {
  return qiError("CONFIG_INVALID", message);
}
