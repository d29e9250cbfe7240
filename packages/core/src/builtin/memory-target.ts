import { z } from "zod";
import { defineTarget } from "../adapters/define";
import { ADAPTER_CONTRACT_VERSION, type DeadLetter, type RecordFailure } from "../adapters/types";
import { type MarketRecord, RECORD_KIND_DEFINITIONS, RECORD_KINDS, type RecordKind } from "../dsl/kinds";
import { qiError } from "../errors/qi-error";

/**
 * What a memory target holds. Records are kept by primary key, like a database
 * with upserts, so replays are visible as `writes > size`.
 */
export class MemoryStore {
  readonly records = Object.fromEntries(RECORD_KINDS.map((kind) => [kind, new Map()])) as Record<
    RecordKind,
    Map<string, MarketRecord>
  >;
  readonly deadLetters: DeadLetter[] = [];
  /** Write calls and records written, replays included. */
  writeCalls = 0;
  recordsWritten = 0;

  list<K extends RecordKind>(kind: K): MarketRecord[] {
    return [...this.records[kind].values()];
  }
  size(kind?: RecordKind): number {
    return kind
      ? this.records[kind].size
      : RECORD_KINDS.reduce((total, each) => total + this.records[each].size, 0);
  }
  clear(): void {
    for (const kind of RECORD_KINDS) this.records[kind].clear();
    this.deadLetters.length = 0;
    this.writeCalls = 0;
    this.recordsWritten = 0;
  }
}

const stores = new Map<string, MemoryStore>();

/** The store a memory target with this `store` name writes to (created on first use). */
export function memoryStore(name: string): MemoryStore {
  let store = stores.get(name);
  if (!store) {
    store = new MemoryStore();
    stores.set(name, store);
  }
  return store;
}

export const memoryConfigSchema = z
  .object({
    store: z
      .string()
      .min(1)
      .default("default")
      .describe("Name of the in-memory store; memoryStore(name) reads it."),
    keep: z.boolean().default(true).describe("Keep records; false only counts them (benchmarks)."),
    latencyMs: z.number().nonnegative().default(0).describe("Simulated write latency."),
    failFirstWrites: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe("Fail this many write calls with a retryable error first."),
    failAlways: z
      .boolean()
      .default(false)
      .describe("Fail every write with a retryable error (a target that is down)."),
    refuseAll: z
      .boolean()
      .default(false)
      .describe("Refuse every write with an error that is not retryable (a batch refused for good)."),
    rejectCoins: z
      .array(z.string())
      .default([])
      .describe("Refuse records of these coins as permanently invalid."),
  })
  .strict();

export type MemoryTargetConfig = z.output<typeof memoryConfigSchema>;

/** The record's primary key as the DSL defines it (`tableModel(kind).primaryKey`), joined with `|`. */
function primaryKey(kind: RecordKind, record: MarketRecord): string {
  const value = record as Record<string, unknown>;
  return RECORD_KIND_DEFINITIONS[kind].primaryKey.map((field) => String(value[field])).join("|");
}

/**
 * An in-memory target: the test double of the conformance suite, and the target of
 * the runtime benchmark. It can simulate latency, transient outages and refused records.
 */
export const memoryTarget = defineTarget({
  name: "memory",
  description: "Keeps records in memory (tests, examples, benchmarks).",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema: memoryConfigSchema,
  capabilities: { kinds: RECORD_KINDS, idempotent: true, deadLetter: true },
  create(config) {
    const store = memoryStore(config.store);
    let failuresLeft = config.failFirstWrites;
    const rejected = new Set(config.rejectCoins);
    return {
      async write(kind, records) {
        store.writeCalls++;
        if (config.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, config.latencyMs));
        if (config.failAlways || failuresLeft > 0) {
          failuresLeft--;
          throw qiError("NETWORK_ERROR", "memory target: simulated outage");
        }
        if (config.refuseAll) {
          throw qiError("WRITE_FAILED", "memory target: refuses every batch", { category: "VALIDATION" });
        }
        const failures: RecordFailure[] = [];
        const map = store.records[kind];
        for (let index = 0; index < records.length; index++) {
          const record = records[index] as MarketRecord;
          const coinId = (record as { coinId?: string }).coinId;
          if (coinId !== undefined && rejected.has(coinId)) {
            failures.push({
              index,
              error: qiError("WRITE_FAILED", `memory target refuses coin ${coinId}`, {
                category: "VALIDATION",
              }),
            });
            continue;
          }
          if (config.keep) map.set(primaryKey(kind, record), record);
        }
        store.recordsWritten += records.length - failures.length;
        return failures.length > 0 ? { failures } : undefined;
      },
      async writeDeadLetters(letters) {
        if (config.failAlways) {
          throw qiError("NETWORK_ERROR", "memory target: simulated outage");
        }
        store.deadLetters.push(...letters);
      },
      async healthCheck() {
        return { status: config.failAlways ? "unhealthy" : "healthy" };
      },
    };
  },
});
