import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeadLetter, TargetDefinition, TargetHandlers } from "../adapters/types";
import type { MarketRecord, RecordKind } from "../dsl/kinds";
import { checkAdapter } from "../registry/shape";
import { type Awaitable, contextFor, resolveConfig } from "./conformance-context";
import { precisionRecords } from "./precision-records";
import { sampleRecords } from "./sample-records";

export interface TestTargetOptions {
  /** The adapter under test. */
  // biome-ignore lint/suspicious/noExplicitAny: the suite accepts adapters of any config type.
  adapter: TargetDefinition<any>;
  /** The raw `config` block, as a pipeline file would give it (or a function computing it, e.g. from env). */
  config: unknown | (() => Awaitable<unknown>);
  /**
   * Reads back what the target stored, by kind. When given, the suite checks that records
   * arrive intact (every decimal digit at the columns' full precision) and, for idempotent
   * targets, that replays make no duplicates. Without it those checks are not run.
   */
  readBack?: (kind: RecordKind, handlers: TargetHandlers) => Awaitable<readonly MarketRecord[]>;
  /** Reads back the dead letters the target stored (for `deadLetter: true` targets). */
  readDeadLetters?: (handlers: TargetHandlers) => Awaitable<readonly DeadLetter[]>;
  /** Empties the destination before the suite (a fresh table, a new topic). */
  reset?: (handlers: TargetHandlers) => Awaitable<void>;
  /** Records per write in the suite (default 50). */
  batchSize?: number;
}

/**
 * The conformance suite every target adapter runs against itself (ours and third
 * parties'). Call it at the top level of a vitest test file. Each check fails for the
 * bug it names; the suite's own tests run it against adapters with those bugs.
 */
export function testTarget(options: TestTargetOptions): void {
  const { adapter, readBack } = options;
  const batchSize = options.batchSize ?? 50;
  describe(`target adapter "${adapter.name}" conformance`, () => {
    let handlers: TargetHandlers;

    beforeAll(async () => {
      const config = await resolveConfig(adapter, options.config);
      handlers = await adapter.create(config, contextFor(`${adapter.name}-conformance`));
      await handlers.connect?.();
      await options.reset?.(handlers);
    });

    afterAll(async () => {
      await handlers?.disconnect?.();
    });

    it("is a well-formed adapter for this core", () => {
      expect(checkAdapter(adapter, "the adapter under test")).toBeNull();
      expect(adapter.role).toBe("target");
      expect(typeof handlers.write).toBe("function");
    });

    it("reports healthy once connected", async () => {
      if (!handlers.healthCheck) return;
      const health = await handlers.healthCheck();
      expect(health.status).toBe("healthy");
    });

    for (const kind of adapter.capabilities.kinds) {
      it(`writes a batch of ${kind} records without failures`, async () => {
        const records = await sampleRecords(kind, batchSize);
        const outcome = await handlers.write(kind, records);
        expect(outcome?.failures ?? []).toEqual([]);
        await handlers.flush?.();
        if (readBack) {
          const stored = await readBack(kind, handlers);
          for (const record of records) expect(stored).toContainEqual(record);
        }
      });

      it(`accepts an empty ${kind} batch`, async () => {
        const outcome = await handlers.write(kind, []);
        expect(outcome?.failures ?? []).toEqual([]);
      });

      if (readBack) {
        it(`keeps every digit of ${kind} decimals at the columns' full precision`, async () => {
          const records = await precisionRecords(kind, Math.min(batchSize, 20));
          const outcome = await handlers.write(kind, records);
          expect(outcome?.failures ?? []).toEqual([]);
          await handlers.flush?.();
          const stored = await readBack(kind, handlers);
          for (const record of records) expect(stored).toContainEqual(record);
        });
      }

      if (adapter.capabilities.idempotent && readBack) {
        it(`makes no duplicates when ${kind} records are written again (idempotent)`, async () => {
          const records = await sampleRecords(kind, batchSize, 7);
          await handlers.write(kind, records);
          await handlers.write(kind, records);
          await handlers.flush?.();
          const stored = await readBack(kind, handlers);
          const keys = stored.map((record) => JSON.stringify(record));
          for (const record of records) {
            expect(keys.filter((key) => key === JSON.stringify(record))).toHaveLength(1);
          }
        });
      }
    }

    if (adapter.capabilities.deadLetter) {
      it("stores dead letters", async () => {
        expect(typeof handlers.writeDeadLetters).toBe("function");
        const letter: DeadLetter = {
          kind: "price",
          record: { coinId: "bad", marker: `conformance-${Date.now()}` },
          reason: {
            code: "VALIDATION_FAILED",
            message: "usdPrice: expected a decimal",
            category: "VALIDATION",
          },
          sourceId: "conformance",
          failedAt: new Date().toISOString(),
          attempts: 1,
        };
        await handlers.writeDeadLetters?.([letter]);
        await handlers.flush?.();
        if (options.readDeadLetters) {
          const stored = await options.readDeadLetters(handlers);
          expect(stored.map((entry) => entry.record)).toContainEqual(letter.record);
        }
      });
    }
  });
}
