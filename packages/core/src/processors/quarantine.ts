import { z } from "zod";
import { defineProcessor } from "../adapters/define";
import type { ProcessorRejection, RecordBatch } from "../adapters/processor-types";
import { ADAPTER_CONTRACT_VERSION } from "../adapters/types";
import { durationSchema } from "../config/schema";
import type { MarketRecord } from "../dsl/kinds";
import { qiError } from "../errors/qi-error";
import { compareDecimal, divideDecimal, medianDecimal } from "./decimal-text";
import { identityOf, seriesKey } from "./series";
import { freshEntries, post, sharedBoard } from "./shared-board";
import { assetKey, pricePoint } from "./values";

export const quarantineConfigSchema = z.strictObject({
  maxJump: z
    .number()
    .positive()
    .describe("Largest accepted move from the reference, as a ratio: 0.2 accepts up to 20% up or down."),
  window: z
    .number()
    .int()
    .min(3)
    .default(20)
    .describe("Recent accepted values of the instrument its median is taken over."),
  minSamples: z.number().int().min(1).default(5).describe("Values needed before the median is a reference."),
  across: z
    .strictObject({
      group: z
        .string()
        .min(1)
        .default("quarantine")
        .describe("Processors of one group compare with each other."),
      maxAge: durationSchema
        .prefault("1m")
        .describe("How far apart in time two sources' values may be to compare."),
    })
    .optional()
    .describe("Also compare with the same asset on the pipeline's other sources at the same time."),
});

type QuarantineConfig = z.output<typeof quarantineConfigSchema>;

function jumpsTooFar(value: string, reference: string, maxJump: number): string | undefined {
  if (compareDecimal(reference, "0") <= 0) return undefined;
  const ratio = Number(divideDecimal(value, reference, 12));
  const jump = Math.abs(ratio - 1);
  return jump > maxJump ? `${(jump * 100).toFixed(2)}%` : undefined;
}

function createQuarantine(config: QuarantineConfig, pipelineName: string, sourceKey: string) {
  const recent = new Map<string, string[]>();
  const board = config.across ? sharedBoard(pipelineName, config.across.group) : undefined;
  return {
    process(batch: RecordBatch) {
      const kept: MarketRecord[] = [];
      const rejected: ProcessorRejection[] = [];
      for (const record of batch.records) {
        const point = pricePoint(batch.kind, record);
        if (!point) {
          kept.push(record);
          continue;
        }
        const series = seriesKey(identityOf(record));
        const values = recent.get(series) ?? [];
        const median = values.length >= config.minSamples ? medianDecimal(values) : undefined;
        let reason = median ? jumpsTooFar(point.value, median, config.maxJump) : undefined;
        let reference = median;
        let against = "the instrument's recent median";
        if (!reason && board && config.across) {
          const others = freshEntries(board, assetKey(record), point.time, config.across.maxAge).filter(
            ([key]) => key !== sourceKey,
          );
          const otherMedian = medianDecimal(others.map(([, entry]) => entry.value));
          if (otherMedian) {
            reason = jumpsTooFar(point.value, otherMedian, config.maxJump);
            reference = otherMedian;
            against = `the same asset on ${others.map(([key]) => key).join(", ")}`;
          }
        }
        if (reason) {
          rejected.push({
            kind: batch.kind,
            record,
            error: qiError(
              "VALIDATION_FAILED",
              `quarantined: ${point.value} is ${reason} away from ${against} (${reference}); maxJump ${config.maxJump}`,
              { context: { quarantined: true, reference, value: point.value } },
            ),
          });
          continue;
        }
        kept.push(record);
        values.push(point.value);
        if (values.length > config.window) values.shift();
        recent.set(series, values);
        if (board)
          post(board, assetKey(record), sourceKey, {
            value: point.value,
            time: point.time,
            source: sourceKey,
          });
      }
      return { batches: kept.length > 0 ? [{ kind: batch.kind, records: kept }] : [], rejected };
    },
  };
}

export const quarantineProcessor = defineProcessor({
  name: "quarantine",
  description:
    "Sends a price, candle or trade that jumps more than maxJump from the instrument's recent median (or from other sources) to the dead-letter destination.",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema: quarantineConfigSchema,
  capabilities: { kinds: ["price", "ohlcv", "trade"] },
  create: (config, context) =>
    createQuarantine(config, context.pipelineName, context.id.split("/")[0] ?? context.id),
});
