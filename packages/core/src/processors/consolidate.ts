import { z } from "zod";
import { defineProcessor } from "../adapters/define";
import type { RecordBatch } from "../adapters/processor-types";
import { ADAPTER_CONTRACT_VERSION } from "../adapters/types";
import { durationSchema } from "../config/schema";
import type { MarketRecord } from "../dsl/kinds";
import { AGGREGATE_EXCHANGE, type CryptoPrice } from "../dsl/records";
import { addDecimal, compareDecimal, divideDecimal, medianDecimal, multiplyDecimal } from "./decimal-text";
import { type BoardEntry, freshEntries, post, sharedBoard } from "./shared-board";
import { assetKey } from "./values";

export const consolidateConfigSchema = z.strictObject({
  method: z
    .enum(["median", "volume-weighted"])
    .default("median")
    .describe("How inputs combine: their median, or their mean weighted by 24-hour volume."),
  maxAge: durationSchema
    .prefault("2m")
    .describe("Inputs older than this (from the newest one) are left out."),
  minInputs: z.number().int().min(1).default(1).describe("Fewest inputs a consolidated price needs."),
  group: z
    .string()
    .min(1)
    .default("consolidate")
    .describe("Processors of one group combine each other's inputs."),
  keepInput: z.boolean().default(false).describe("Also hand on the input prices."),
});

type ConsolidateConfig = z.output<typeof consolidateConfigSchema>;

function combine(entries: readonly BoardEntry[], method: ConsolidateConfig["method"]): string | undefined {
  if (method === "median") return medianDecimal(entries.map((entry) => entry.value));
  const weighted = entries.filter(
    (entry) => entry.weight !== undefined && compareDecimal(entry.weight, "0") > 0,
  );
  if (weighted.length === 0) return medianDecimal(entries.map((entry) => entry.value));
  let total = "0";
  let weights = "0";
  for (const entry of weighted) {
    total = addDecimal(total, multiplyDecimal(entry.value, entry.weight as string));
    weights = addDecimal(weights, entry.weight as string);
  }
  return divideDecimal(total, weights, 8);
}

/**
 * One price per coin from several sources or exchanges: each input updates its source's latest
 * price on a board the group shares, and a consolidated price (`exchangeId: aggregate`) follows
 * from the fresh inputs, with the sources it used named in `source` and their attributions.
 */
function createConsolidator(config: ConsolidateConfig, pipelineName: string, sourceKey: string) {
  const board = sharedBoard(pipelineName, config.group);
  return {
    process(batch: RecordBatch) {
      const out: MarketRecord[] = [];
      for (const record of batch.records) {
        const price = record as CryptoPrice;
        const time = Date.parse(price.lastUpdated);
        const key = assetKey(record);
        post(board, key, `${sourceKey}:${price.exchangeId}`, {
          value: price.usdPrice,
          time,
          source: price.source,
          attribution: price.attribution,
          ...(price.volume24h ? { weight: price.volume24h } : {}),
        });
        const inputs = freshEntries(board, key, time, config.maxAge);
        if (inputs.length < config.minInputs) continue;
        const value = combine(
          inputs.map(([, entry]) => entry),
          config.method,
        );
        if (value === undefined) continue;
        const used = inputs.map(([name]) => name).sort();
        const attributions = [...new Set(inputs.map(([, entry]) => entry.attribution).filter(Boolean))];
        out.push({
          ...(price.coinId ? { coinId: price.coinId } : {}),
          symbol: price.symbol,
          exchangeId: AGGREGATE_EXCHANGE,
          instrument: price.coinId ?? price.instrument,
          quote: price.quote,
          assetClass: price.assetClass,
          usdPrice: value,
          lastUpdated: new Date(Math.max(...inputs.map(([, entry]) => entry.time))).toISOString(),
          source: `consolidated ${config.method} of ${used.join(", ")}`.slice(0, 100),
          attribution: attributions.join("; ") || "Consolidated by QiCore",
        } as unknown as MarketRecord);
      }
      const batches: RecordBatch[] = [];
      if (config.keepInput) batches.push({ kind: "price", records: batch.records });
      if (out.length > 0) batches.push({ kind: "price", records: out });
      return { batches };
    },
  };
}

export const consolidateProcessor = defineProcessor({
  name: "consolidate",
  description:
    "One price per coin from several sources or exchanges (median or volume-weighted), fresh inputs only.",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema: consolidateConfigSchema,
  capabilities: { kinds: ["price"], emits: ["price"] },
  create: (config, context) =>
    createConsolidator(config, context.pipelineName, context.id.split("/")[0] ?? context.id),
});
