import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testSource } from "../testing/source-conformance";
import { testTarget } from "../testing/target-conformance";
import { fileTarget } from "./file-target";
import { memoryStore, memoryTarget } from "./memory-target";
import { syntheticSource } from "./synthetic-source";

testSource({
  adapter: syntheticSource,
  config: { coins: ["bitcoin", "ethereum"], count: 200, batchSize: 25, kinds: ["price", "ohlcv"] },
});

testTarget({
  adapter: memoryTarget,
  config: { store: "conformance" },
  reset: () => memoryStore("conformance").clear(),
  readBack: (kind) => memoryStore("conformance").list(kind),
});

const folder = mkdtempSync(join(tmpdir(), "qicore-file-target-"));
testTarget({
  adapter: fileTarget,
  config: { path: join(folder, "records.jsonl") },
  readBack: (kind, handlers) =>
    handlers.flush?.().then(() =>
      readFileSync(join(folder, "records.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { kind?: string; record?: never })
        .filter((entry) => entry.kind === kind)
        .map((entry) => entry.record as never),
    ) ?? [],
  readDeadLetters: (handlers) =>
    handlers.flush?.().then(() =>
      readFileSync(join(folder, "records.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { deadLetter?: never })
        .flatMap((entry) => (entry.deadLetter ? [entry.deadLetter] : [])),
    ) ?? [],
});
