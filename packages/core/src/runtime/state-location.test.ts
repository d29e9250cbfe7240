import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineTarget } from "../adapters/define";
import { ADAPTER_CONTRACT_VERSION } from "../adapters/types";
import { createRegistry } from "../registry/registry";
import { silentLogger } from "./logger";
import { Pipeline } from "./pipeline";
import { MemoryStateStore } from "./state-store";

/** A target that, like a database, can keep checkpoints beside its data. */
function databaseLikeTarget(store: MemoryStateStore) {
  return defineTarget({
    name: "database-like",
    contractVersion: ADAPTER_CONTRACT_VERSION,
    coreVersion: ">=0.0.0",
    configSchema: z.strictObject({}),
    capabilities: { kinds: ["price"], idempotent: true },
    create: () => ({ async write() {}, stateStore: () => store }),
  });
}

async function run(state: Record<string, unknown> | undefined) {
  const folder = mkdtempSync(join(tmpdir(), "qicore-state-"));
  const store = new MemoryStateStore();
  const loaded = await Pipeline.fromConfig(
    {
      name: "state-location",
      sources: [{ id: "gen", type: "synthetic", config: { coins: ["bitcoin"], count: 50, batchSize: 10 } }],
      targets: [
        { id: "out", type: "memory", config: { store: `state-location-${Date.now()}` } },
        { id: "db", type: "database-like" },
      ],
      ...(state ? { state } : {}),
    },
    { registry: createRegistry(databaseLikeTarget(store)), logger: silentLogger, baseDir: folder },
  );
  if (!loaded.ok) throw loaded.error;
  const summary = await loaded.value.run();
  await loaded.value.destroy();
  return { summary, store, stateFile: join(folder, ".qicore", "state.json") };
}

describe("where checkpoints are kept", () => {
  it("by default in the first target that can hold them, so an emptied database starts over", async () => {
    const { summary, store, stateFile } = await run(undefined);
    expect(summary.checkpoints).toBe('target "db"');
    expect(await store.load("state-location", "gen")).toBeDefined();
    expect(existsSync(stateFile)).toBe(false);
  });

  it("in the file when asked, and the summary says so", async () => {
    const { summary, store, stateFile } = await run({ store: "file" });
    expect(summary.checkpoints).toBe(stateFile);
    expect(existsSync(stateFile)).toBe(true);
    expect(await store.load("state-location", "gen")).toBeUndefined();
  });
});
