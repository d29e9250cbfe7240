import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  AdapterContext,
  SourceBatch,
  SourceDefinition,
  SourceHandlers,
  TargetDefinition,
  TargetHandlers,
} from "../adapters/types";
import type { MarketRecord, RecordKind } from "../dsl/kinds";
import { validateRecord } from "../dsl/validate";
import { checkAdapter } from "../registry/shape";
import { silentLogger } from "../runtime/logger";
import { sampleRecords } from "./sample-records";

type Awaitable<T> = T | Promise<T>;

export interface TestTargetOptions {
  /** The adapter under test. */
  // biome-ignore lint/suspicious/noExplicitAny: the suite accepts adapters of any config type.
  adapter: TargetDefinition<any>;
  /** The raw `config` block, as a pipeline file would give it (or a function computing it, e.g. from env). */
  config: unknown | (() => Awaitable<unknown>);
  /**
   * Reads back what the target stored, by kind. When given, the suite checks that records
   * arrive intact (exact decimals) and, for idempotent targets, that replays make no duplicates.
   */
  readBack?: (kind: RecordKind, handlers: TargetHandlers) => Awaitable<readonly MarketRecord[]>;
  /** Empties the destination before the suite (a fresh table, a new topic). */
  reset?: (handlers: TargetHandlers) => Awaitable<void>;
  /** Records per write in the suite (default 50). */
  batchSize?: number;
}

export interface TestSourceOptions {
  // biome-ignore lint/suspicious/noExplicitAny: the suite accepts adapters of any config type.
  adapter: SourceDefinition<any>;
  config: unknown | (() => Awaitable<unknown>);
  /** Stop reading after this many batches (for unbounded sources; default 20). */
  maxBatches?: number;
  /** Prepares the source's upstream before reading (e.g. produce test messages). */
  prepare?: () => Awaitable<void>;
}

function contextFor(id: string): AdapterContext {
  return {
    id,
    pipelineName: "conformance",
    logger: silentLogger,
    baseDir: process.cwd(),
    signal: new AbortController().signal,
  };
}

async function resolveConfig(
  definition: {
    configSchema: { safeParse: (input: unknown) => { success: boolean; data?: unknown; error?: unknown } };
  },
  config: unknown,
) {
  const raw = typeof config === "function" ? await (config as () => Awaitable<unknown>)() : config;
  const parsed = definition.configSchema.safeParse(raw);
  if (!parsed.success)
    throw new Error(`the config given to the conformance suite is invalid: ${String(parsed.error)}`);
  return parsed.data;
}

/**
 * The conformance suite every target adapter runs against itself (ours and third
 * parties'). Call it at the top level of a vitest test file.
 */
export function testTarget(options: TestTargetOptions): void {
  const { adapter } = options;
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
        if (options.readBack) {
          const stored = await options.readBack(kind, handlers);
          for (const record of records) expect(stored).toContainEqual(record);
        }
      });

      it(`accepts an empty ${kind} batch`, async () => {
        const outcome = await handlers.write(kind, []);
        expect(outcome?.failures ?? []).toEqual([]);
      });

      if (adapter.capabilities.idempotent) {
        it(`makes no duplicates when ${kind} records are written again (idempotent)`, async () => {
          const records = await sampleRecords(kind, batchSize, 7);
          await handlers.write(kind, records);
          await handlers.write(kind, records);
          await handlers.flush?.();
          if (!options.readBack) return;
          const stored = await options.readBack(kind, handlers);
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
        await handlers.writeDeadLetters?.([
          {
            kind: "price",
            record: { coinId: "bad" },
            reason: {
              code: "VALIDATION_FAILED",
              message: "usdPrice: expected a decimal",
              category: "VALIDATION",
            },
            sourceId: "conformance",
            failedAt: new Date().toISOString(),
            attempts: 1,
          },
        ]);
      });
    }
  });
}

/** The conformance suite every source adapter runs against itself. */
export function testSource(options: TestSourceOptions): void {
  const { adapter } = options;
  const maxBatches = options.maxBatches ?? 20;
  describe(`source adapter "${adapter.name}" conformance`, () => {
    let handlers: SourceHandlers;
    let config: unknown;

    beforeAll(async () => {
      await options.prepare?.();
      config = await resolveConfig(adapter, options.config);
      handlers = await adapter.create(config, contextFor(`${adapter.name}-conformance`));
      await handlers.connect?.();
    });

    afterAll(async () => {
      await handlers?.disconnect?.();
    });

    const readBatches = async (from?: unknown): Promise<SourceBatch[]> => {
      const controller = new AbortController();
      const batches: SourceBatch[] = [];
      const iterable = (handlers.read as NonNullable<SourceHandlers["read"]>)({
        signal: controller.signal,
        ...(from !== undefined ? { checkpoint: from } : {}),
      });
      for await (const batch of iterable) {
        batches.push(batch);
        if (batches.length >= maxBatches) break;
      }
      controller.abort();
      return batches;
    };

    it("is a well-formed adapter for this core", () => {
      expect(checkAdapter(adapter, "the adapter under test")).toBeNull();
      expect(adapter.role).toBe("source");
      const offers = ["read", "getCurrentPrices", "getOHLCV", "getPriceHistory", "getMarketAnalytics"].filter(
        (name) => typeof (handlers as Record<string, unknown>)[name] === "function",
      );
      expect(offers.length, "a source must offer read() or at least one DSL method").toBeGreaterThan(0);
    });

    it("reports healthy once connected", async () => {
      if (!handlers.healthCheck) return;
      expect((await handlers.healthCheck()).status).toBe("healthy");
    });

    it("streams batches of the kinds it declares, whose records pass the core's schemas", async () => {
      if (!handlers.read) return;
      const batches = await readBatches();
      expect(batches.length).toBeGreaterThan(0);
      for (const batch of batches) {
        expect(adapter.capabilities.kinds).toContain(batch.kind);
        for (const record of batch.records) {
          const result = validateRecord(batch.kind, record);
          expect(result.ok, result.ok ? "" : result.error.message).toBe(true);
          // A trusted source skips the runtime's validation, so it must already emit the normal form.
          if (adapter.capabilities.trusted && result.ok) expect(result.value).toEqual(record);
        }
      }
    });

    if (adapter.capabilities.replay) {
      it("resumes from a checkpoint with the records that followed it", async () => {
        const all = await readBatches();
        const index = all.findIndex((batch) => batch.checkpoint !== undefined);
        expect(index, "a replayable source must put checkpoints on its batches").toBeGreaterThanOrEqual(0);
        const checkpoint = all[index]?.checkpoint;
        const after = all.slice(index + 1).flatMap((batch) => batch.records);
        if (after.length === 0) return;
        const resumed = (await readBatches(JSON.parse(JSON.stringify(checkpoint)))).flatMap(
          (batch) => batch.records,
        );
        expect(resumed.slice(0, after.length)).toEqual(after);
      });
    }

    it("returns valid records from the DSL methods it offers", async () => {
      if (handlers.getCurrentPrices) {
        const prices = await handlers.getCurrentPrices(["bitcoin"]);
        for (const price of prices) expect(validateRecord("price", price).ok).toBe(true);
      }
      if (handlers.getMarketAnalytics) {
        expect(validateRecord("analytics", await handlers.getMarketAnalytics()).ok).toBe(true);
      }
    });
  });
}
