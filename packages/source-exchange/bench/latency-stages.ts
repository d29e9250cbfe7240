import {
  type CryptoTrade,
  defineSource,
  defineTarget,
  type MarketRecord,
  type RecordKind,
  type SourceDefinition,
  type TargetDefinition,
} from "@qicore/core";
import { percentile } from "./rounds";

/**
 * When each trade passed each stage on its way from the blast server to a TimescaleDB row,
 * by trade id, in epoch milliseconds: sent (the server stamps the trade time as it sends),
 * received (the record's receivedAt, stamped as the frame arrives), yielded by the source's
 * read, handed to the target's write, and written (the write returned).
 */
export class Stages {
  readonly yielded = new Map<string, number>();
  readonly writeStarted = new Map<string, number>();
  readonly written = new Map<string, number>();
  readonly records = new Map<string, CryptoTrade>();
  /** Each write's duration, ms. */
  readonly writes: number[] = [];
}

/** The source, its read's batches stamped as they are yielded to the runtime. */
export function stampedSource(definition: SourceDefinition, stages: Stages): SourceDefinition {
  return defineSource({
    ...definition,
    name: `stamped-${definition.name}`,
    async create(config, context) {
      const handlers = await definition.create(config, context);
      const read = handlers.read;
      if (!read) return handlers;
      return {
        ...handlers,
        read: async function* (options) {
          for await (const batch of read(options)) {
            const now = Date.now();
            for (const record of batch.records) stages.yielded.set((record as CryptoTrade).tradeId, now);
            yield batch;
          }
        },
      };
    },
  }) as SourceDefinition;
}

/** The target, trades among its kinds, each write's start and end stamped per record. */
export function stampedTarget(definition: TargetDefinition, stages: Stages): TargetDefinition {
  const kinds = [...new Set<RecordKind>([...definition.capabilities.kinds, "trade"])];
  return defineTarget({
    ...definition,
    name: `stamped-${definition.name}`,
    capabilities: { ...definition.capabilities, kinds },
    async create(config, context) {
      const handlers = await definition.create(config, context);
      return {
        ...handlers,
        write: async (kind: RecordKind, records: readonly MarketRecord[]) => {
          const started = Date.now();
          const precise = performance.now();
          for (const record of records as readonly CryptoTrade[])
            stages.writeStarted.set(record.tradeId, started);
          const outcome = await handlers.write(kind, records);
          const now = Date.now();
          stages.writes.push(performance.now() - precise);
          for (const record of records as readonly CryptoTrade[]) {
            stages.written.set(record.tradeId, now);
            stages.records.set(record.tradeId, record);
          }
          return outcome;
        },
      };
    },
  }) as TargetDefinition;
}

const STAGES = ["network", "source", "queued", "write", "total"] as const;
type Stage = (typeof STAGES)[number];

/**
 * Percentiles of each stage over trades with ids above `skip` (the warm-up): network (sent →
 * received), source (received → yielded), queued (yielded → write started: the runtime's
 * batching and the writes ahead), write (the write itself), total (received → written, the
 * figure the issue asks for). `tail` is the mean of each stage over the slowest 1 % by total.
 */
export function summarise(stages: Stages, skip: number) {
  const values: Record<Stage, number[]> = { network: [], source: [], queued: [], write: [], total: [] };
  const rows: Record<Stage, number>[] = [];
  for (const [id, written] of stages.written) {
    if (Number(id) <= skip) continue;
    const record = stages.records.get(id) as CryptoTrade;
    const sent = Date.parse(record.timestamp);
    const received = Date.parse(record.receivedAt);
    const yielded = stages.yielded.get(id) ?? Number.NaN;
    const started = stages.writeStarted.get(id) ?? Number.NaN;
    const row = {
      network: received - sent,
      source: yielded - received,
      queued: started - yielded,
      write: written - started,
      total: written - received,
    };
    rows.push(row);
    for (const stage of STAGES) values[stage].push(row[stage]);
  }
  const p99 = percentile(values.total, 99);
  const slowest = rows.filter((row) => row.total >= p99);
  const summary = Object.fromEntries(
    STAGES.map((stage) => [
      stage,
      {
        p50: percentile(values[stage], 50),
        p90: percentile(values[stage], 90),
        p99: percentile(values[stage], 99),
        max: Math.max(...values[stage]),
        tailMean: Math.round((slowest.reduce((sum, row) => sum + row[stage], 0) / slowest.length) * 10) / 10,
      },
    ]),
  ) as Record<Stage, { p50: number; p90: number; p99: number; max: number; tailMean: number }>;
  return { samples: rows.length, p99, stages: summary };
}
