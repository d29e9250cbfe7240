import { z } from "zod";
import { defineSource, defineTarget } from "../../adapters/define";
import { ADAPTER_CONTRACT_VERSION } from "../../adapters/types";
import type { MarketRecord, RecordKind } from "../../dsl/kinds";
import { sampleRecords } from "../sample-records";

const base = {
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: ">=0.0.0",
  configSchema: z.strictObject({}),
};

/** Stores decimals as binary floats, as a REAL / DOUBLE PRECISION column would. */
export const floatTarget = defineTarget({
  ...base,
  name: "float-target",
  capabilities: { kinds: ["price", "ohlcv"], idempotent: true },
  create() {
    const stored = new Map<string, MarketRecord>();
    return {
      async write(kind: RecordKind, records: readonly MarketRecord[]) {
        for (const record of records) {
          const asFloat = Object.fromEntries(
            Object.entries(record).map(([field, value]) =>
              typeof value === "string" && /^-?\d+\.\d+$/.test(value)
                ? [field, String(Number(value))]
                : [field, value],
            ),
          ) as unknown as MarketRecord;
          stored.set(`${kind}:${JSON.stringify(record)}`, asFloat);
        }
      },
      storedRecords: () => [...stored.values()],
    };
  },
});

/** Reads everything in one batch and starts over whatever checkpoint it is given. */
export const checkpointIgnoringSource = defineSource({
  ...base,
  name: "checkpoint-ignoring",
  capabilities: { kinds: ["price"], replay: true, bounded: true },
  create() {
    return {
      async *read() {
        yield {
          kind: "price" as const,
          records: await sampleRecords("price", 10),
          checkpoint: { position: 10 },
        };
      },
    };
  },
});

/** Streams valid records, but its DSL method returns garbage. */
export const garbageDslSource = defineSource({
  ...base,
  name: "garbage-dsl",
  capabilities: { kinds: ["ohlcv"] },
  create() {
    return {
      async *read() {
        yield { kind: "ohlcv" as const, records: await sampleRecords("ohlcv", 5) };
      },
      async getOHLCV() {
        return [{ garbage: true }] as never;
      },
    };
  },
});
