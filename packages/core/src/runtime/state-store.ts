import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Checkpoint, StateStore } from "../adapters/types";
import { qiError } from "../errors/qi-error";

/**
 * Keeps checkpoints in a local JSON file, written atomically (temporary file, then
 * rename) so a crash mid-write leaves the previous state, never a torn file.
 */
export class FileStateStore implements StateStore {
  private state: Record<string, Checkpoint> | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  async load(pipelineName: string, sourceId: string): Promise<Checkpoint | undefined> {
    const state = await this.read();
    return state[keyOf(pipelineName, sourceId)];
  }

  save(pipelineName: string, sourceId: string, checkpoint: Checkpoint): Promise<void> {
    this.chain = this.chain.then(async () => {
      const state = await this.read();
      state[keyOf(pipelineName, sourceId)] = checkpoint;
      await mkdir(dirname(this.path), { recursive: true });
      const temporary = `${this.path}.${process.pid}.tmp`;
      await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`, "utf8");
      await rename(temporary, this.path);
    });
    return this.chain;
  }

  private async read(): Promise<Record<string, Checkpoint>> {
    if (this.state) return this.state;
    try {
      this.state = JSON.parse(await readFile(this.path, "utf8")) as Record<string, Checkpoint>;
    } catch (thrown) {
      if ((thrown as { code?: string }).code !== "ENOENT") {
        throw qiError(
          "STATE_STORE_FAILED",
          `cannot read the state file ${this.path}: ${(thrown as Error).message}`,
          { cause: thrown },
        );
      }
      this.state = {};
    }
    return this.state;
  }
}

/** Keeps checkpoints in memory only (tests, embedding without persistence). */
export class MemoryStateStore implements StateStore {
  readonly entries = new Map<string, Checkpoint>();
  async load(pipelineName: string, sourceId: string): Promise<Checkpoint | undefined> {
    return this.entries.get(keyOf(pipelineName, sourceId));
  }
  async save(pipelineName: string, sourceId: string, checkpoint: Checkpoint): Promise<void> {
    this.entries.set(keyOf(pipelineName, sourceId), checkpoint);
  }
}

const keyOf = (pipelineName: string, sourceId: string) => `${pipelineName}/${sourceId}`;
