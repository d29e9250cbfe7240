import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SourceBatch, SourceDefinition, SourceHandlers, TimeRange } from "../adapters/types";
import type { RecordKind } from "../dsl/kinds";
import { validateRecord } from "../dsl/validate";
import { checkAdapter } from "../registry/shape";
import { type Awaitable, contextFor, resolveConfig } from "./conformance-context";

export interface TestSourceOptions {
  // biome-ignore lint/suspicious/noExplicitAny: the suite accepts adapters of any config type.
  adapter: SourceDefinition<any>;
  config: unknown | (() => Awaitable<unknown>);
  /** Stop reading after this many batches (for unbounded sources; default 20). */
  maxBatches?: number;
  /** Prepares the source's upstream before reading (e.g. produce test messages). */
  prepare?: () => Awaitable<void>;
  /**
   * What the DSL checks ask for: a coin the source has (default: the first coin it streams,
   * else `bitcoin`), a candle width (default `1d`) and a history range (default the last 7 days).
   */
  dsl?: { coinId?: string; timeframe?: string; range?: TimeRange };
}

/**
 * The conformance suite every source adapter runs against itself. Each check fails for the
 * bug it names; the suite's own tests run it against adapters with those bugs.
 */
export function testSource(options: TestSourceOptions): void {
  const { adapter } = options;
  const maxBatches = options.maxBatches ?? 20;
  describe(`source adapter "${adapter.name}" conformance`, () => {
    let handlers: SourceHandlers;
    let streamed: SourceBatch[] | undefined;

    beforeAll(async () => {
      await options.prepare?.();
      const config = await resolveConfig(adapter, options.config);
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
    const firstRead = async () => {
      streamed ??= await readBatches();
      return streamed;
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
      const batches = await firstRead();
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
      it("resumes from a checkpoint with the records that followed it, and none before it", async () => {
        const all = await firstRead();
        const index = all.findIndex((batch) => batch.checkpoint !== undefined);
        expect(index, "a replayable source must put checkpoints on its batches").toBeGreaterThanOrEqual(0);
        const checkpoint = all[index]?.checkpoint;
        const before = all.slice(0, index + 1).flatMap((batch) => batch.records);
        const after = all.slice(index + 1).flatMap((batch) => batch.records);
        const resumed = (await readBatches(JSON.parse(JSON.stringify(checkpoint)))).flatMap(
          (batch) => batch.records,
        );
        if (after.length > 0) expect(resumed.slice(0, after.length)).toEqual(after);
        // A source that ignores its checkpoint starts over: what was acknowledged comes again.
        // This holds for a source that reads everything in one batch as well.
        const acknowledged = new Set(before.map((record) => JSON.stringify(record)));
        const repeated = resumed.filter((record) => acknowledged.has(JSON.stringify(record)));
        expect(repeated, `resuming re-read ${repeated.length} record(s) from before the checkpoint`).toEqual(
          [],
        );
      });
    }

    it("returns valid records from the DSL methods it offers", async () => {
      const coinId = options.dsl?.coinId ?? (await streamedCoin()) ?? "bitcoin";
      const range = options.dsl?.range ?? lastDays(7);
      const checks: [RecordKind, string, () => Promise<readonly unknown[]>][] = [];
      const source = handlers;
      if (source.getCurrentPrices)
        checks.push(["price", "getCurrentPrices", () => source.getCurrentPrices?.([coinId]) ?? empty()]);
      if (source.getOHLCV)
        checks.push([
          "ohlcv",
          "getOHLCV",
          () => source.getOHLCV?.(coinId, { timeframe: options.dsl?.timeframe ?? "1d", limit: 5 }) ?? empty(),
        ]);
      if (source.getPriceHistory)
        checks.push(["price", "getPriceHistory", () => source.getPriceHistory?.(coinId, range) ?? empty()]);
      if (source.getMarketAnalytics)
        checks.push(["analytics", "getMarketAnalytics", async () => [await source.getMarketAnalytics?.()]]);
      for (const [kind, method, call] of checks) {
        const returned = await call();
        expect(Array.isArray(returned), `${method} must return an array`).toBe(true);
        returned.forEach((record, index) => {
          const result = validateRecord(kind, record);
          expect(
            result.ok,
            `${method}(${coinId})[${index}] is not a valid ${kind}: ${result.ok ? "" : result.error.message}`,
          ).toBe(true);
          if (kind !== "analytics" && result.ok)
            expect((result.value as { coinId: string }).coinId).toBe(coinId);
        });
      }
    });

    async function streamedCoin(): Promise<string | undefined> {
      if (!handlers.read) return undefined;
      for (const batch of await firstRead()) {
        for (const record of batch.records) {
          const coinId = (record as { coinId?: unknown }).coinId;
          if (typeof coinId === "string") return coinId;
        }
      }
      return undefined;
    }
  });
}

function lastDays(days: number): TimeRange {
  const end = new Date();
  return { start: new Date(end.getTime() - days * 86_400_000), end };
}

async function empty(): Promise<readonly unknown[]> {
  return [];
}
