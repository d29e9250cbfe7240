import { z } from "zod";
import { defineProcessor } from "../adapters/define";
import type { RecordBatch } from "../adapters/processor-types";
import { ADAPTER_CONTRACT_VERSION } from "../adapters/types";
import { RECORD_KIND_DEFINITIONS, RECORD_KINDS } from "../dsl/kinds";

export const dedupeConfigSchema = z.strictObject({
  keys: z
    .number()
    .int()
    .min(1)
    .max(10_000_000)
    .default(100_000)
    .describe("How many recent record keys are remembered (the window)."),
});

/**
 * Drops a record whose key (its kind's primary key) was seen among the last `keys` keys. An
 * optimisation only: it forgets on restart and beyond its window, and targets stay idempotent.
 */
function createDeduper(config: z.output<typeof dedupeConfigSchema>) {
  const seen = new Set<string>();
  return {
    process(batch: RecordBatch) {
      const fields = RECORD_KIND_DEFINITIONS[batch.kind].primaryKey;
      const kept = batch.records.filter((record) => {
        const value = record as unknown as Record<string, unknown>;
        const key = `${batch.kind}\u0000${fields.map((field) => String(value[field])).join("\u0000")}`;
        if (seen.has(key)) return false;
        seen.add(key);
        // A Set iterates in insertion order: the first key is the oldest.
        if (seen.size > config.keys) seen.delete(seen.values().next().value as string);
        return true;
      });
      return {
        batches: kept.length > 0 ? [{ kind: batch.kind, records: kept }] : [],
        dropped: batch.records.length - kept.length,
      };
    },
  };
}

export const dedupeProcessor = defineProcessor({
  name: "dedupe",
  description: "Drops records whose key was seen recently (an optimisation: targets stay idempotent).",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema: dedupeConfigSchema,
  capabilities: { kinds: RECORD_KINDS },
  create: (config) => createDeduper(config),
});
