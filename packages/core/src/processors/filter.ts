import { defineProcessor } from "../adapters/define";
import type { RecordBatch } from "../adapters/processor-types";
import { ADAPTER_CONTRACT_VERSION } from "../adapters/types";
import { RECORD_KINDS } from "../dsl/kinds";
import { type Match, matcherOf, matchSchema } from "./matching";

function keepOrDrop(config: Match, keepMatching: boolean) {
  const matches = matcherOf(config);
  return {
    process(batch: RecordBatch) {
      const kept = batch.records.filter((record) => matches(batch.kind, record) === keepMatching);
      return {
        batches: kept.length > 0 ? [{ kind: batch.kind, records: kept }] : [],
        dropped: batch.records.length - kept.length,
      };
    },
  };
}

/** Drops the records that match (by kind, instrument, exchange, coin or an expression); counts them. */
export const filterProcessor = defineProcessor({
  name: "filter",
  description: "Drops the records that match (kinds, instruments, exchanges, coins, where); the rest pass.",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema: matchSchema,
  capabilities: { kinds: RECORD_KINDS },
  create: (config) => keepOrDrop(config, false),
});

/** Keeps only the records that match; the rest are dropped and counted. */
export const selectProcessor = defineProcessor({
  name: "select",
  description: "Keeps only the records that match (kinds, instruments, exchanges, coins, where).",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema: matchSchema,
  capabilities: { kinds: RECORD_KINDS },
  create: (config) => keepOrDrop(config, true),
});
