import { z } from "zod";
import { defineProcessor } from "../../adapters/define";
import type { RecordBatch } from "../../adapters/processor-types";
import { ADAPTER_CONTRACT_VERSION } from "../../adapters/types";
import type { MarketRecord } from "../../dsl/kinds";
import { candlesProcessor, createCandleBuilder } from "../../processors/candles";

const base = {
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: ">=0.0.0",
  configSchema: z.strictObject({}),
};

/** Declares that it turns trades into candles, and hands the trades on as they are. */
export const undeclaredKindProcessor = defineProcessor({
  ...base,
  name: "undeclared-kind",
  capabilities: { kinds: ["trade"], emits: ["ohlcv"] },
  create: () => ({ process: (batch: RecordBatch) => ({ batches: [batch] }) }),
});

/** Rounds prices by writing into the records it was given. */
export const inputMutatingProcessor = defineProcessor({
  ...base,
  name: "input-mutating",
  capabilities: { kinds: ["trade"] },
  create: () => ({
    process(batch: RecordBatch) {
      for (const record of batch.records) {
        const trade = record as unknown as { price: string };
        trade.price = trade.price.replace(/\.\d+$/, "");
      }
      return { batches: [batch] };
    },
  }),
});

/** Keeps every record until the end without saying so: a crash loses what it held. */
export const silentHoldingProcessor = defineProcessor({
  ...base,
  name: "silent-holding",
  capabilities: { kinds: ["trade"] },
  create: () => {
    const held: MarketRecord[] = [];
    return {
      process(batch: RecordBatch) {
        held.push(...batch.records);
        return {};
      },
      flush: () => ({ batches: [{ kind: "trade" as const, records: held.splice(0) }] }),
    };
  },
});

/** Hands on the first record of each batch: its results depend on how input is batched. */
export const batchBoundProcessor = defineProcessor({
  ...base,
  name: "batch-bound",
  capabilities: { kinds: ["trade"] },
  create: () => ({
    process: (batch: RecordBatch) => ({
      batches: [{ kind: batch.kind, records: batch.records.slice(0, 1) }],
      dropped: Math.max(batch.records.length - 1, 0),
    }),
  }),
});

/** The candles processor with a restore that forgets what was saved: a replay's tail candles overwrite whole ones. */
export const forgetfulRestoringProcessor = defineProcessor({
  ...candlesProcessor,
  name: "forgetful-restoring",
  create: (config) => {
    const candles = createCandleBuilder(config);
    return {
      process: (batch: RecordBatch, sequence: number) => candles.process(batch, sequence),
      flush: () => candles.flush(),
      retainedFrom: () => candles.retainedFrom(),
      snapshot: (sequence: number, since: number) => candles.snapshot(sequence, since),
      restore: () => candles.restore(undefined),
    };
  },
});
