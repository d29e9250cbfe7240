/**
 * A third-party source adapter: reads prices from a CSV file (coin_id,symbol,usd_price,time).
 * It is not part of QiCore; a pipeline loads it by path (`type: ./csv-price-source.ts`).
 *
 * What it shows:
 * - an adapter is a plain definition object (defineSource) with a zod config schema;
 * - it emits raw rows as records and lets the core validate them (not `trusted`), so
 *   a bad row is dead-lettered with its line number while the good rows still land;
 * - it is resumable: its checkpoint is the next line to read.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { ADAPTER_CONTRACT_VERSION, defineSource } from "@qicore/core/adapter";
import { z } from "zod";

const configSchema = z
  .object({
    path: z.string().min(1).describe("CSV file to read, relative to the pipeline file."),
    batchSize: z.number().int().positive().default(100).describe("Rows per batch."),
    source: z.string().default("csv").describe("Value of each record's `source` field."),
  })
  .strict();

export const csvPriceSource = defineSource({
  name: "csv-prices",
  description: "Prices from a CSV file (coin_id,symbol,usd_price,time).",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema: configSchema,
  capabilities: { kinds: ["price"], replay: true, ack: true, bounded: true },
  create(config, context) {
    const file = resolve(context.baseDir, config.path);
    return {
      async *read({ checkpoint, signal }) {
        const lines = (await readFile(file, "utf8")).split(/\r?\n/);
        const firstDataLine = 1; // line 0 is the header
        let line = Math.max(
          firstDataLine,
          (checkpoint as { line?: number } | undefined)?.line ?? firstDataLine,
        );
        while (line < lines.length && !signal.aborted) {
          const end = Math.min(lines.length, line + config.batchSize);
          const records = [];
          for (let index = line; index < end; index++) {
            const text = lines[index]?.trim();
            if (!text) continue;
            const [coinId, symbol, usdPrice, time] = text.split(",");
            records.push({
              coinId,
              symbol,
              usdPrice,
              lastUpdated: time,
              source: config.source,
              attribution: `Read from ${config.path}`,
            });
          }
          yield {
            kind: "price",
            records,
            checkpoint: { line: end },
            origin: { file: config.path, lines: `${line + 1}-${end}` },
          };
          line = end;
        }
      },
      async healthCheck() {
        await readFile(file);
        return { status: "healthy" };
      },
    };
  },
});

export default csvPriceSource;
