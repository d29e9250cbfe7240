/**
 * A source that declares `freshRecords` (each record a new object it lets go of) has its
 * canonical records validated in place and handed on as they are; anything else is still
 * normalised or dead-lettered as for every source.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineSource } from "../adapters/define";
import { ADAPTER_CONTRACT_VERSION } from "../adapters/types";
import { memoryStore } from "../builtin/memory-target";
import { validateRecord } from "../dsl/validate";
import { createRegistry } from "../registry/registry";
import { silentLogger } from "./logger";
import { Pipeline } from "./pipeline";
import { MemoryStateStore } from "./state-store";

const price = (coinId: string, usdPrice: unknown) => ({
  coinId,
  symbol: coinId.slice(0, 3).toUpperCase(),
  usdPrice,
  lastUpdated: "2024-01-01T00:00:00.000Z",
  source: "test",
  attribution: "test",
});

/** The canonical form of a price, as validation outputs it (and a well-made source builds it). */
function canonical(coinId: string): Record<string, unknown> {
  const result = validateRecord("price", price(coinId, "100.5"));
  if (!result.ok) throw result.error;
  return result.value as unknown as Record<string, unknown>;
}

let batch: unknown[] = [];
const sourceWith = (freshRecords: boolean) =>
  defineSource({
    name: freshRecords ? "fresh" : "copied",
    contractVersion: ADAPTER_CONTRACT_VERSION,
    coreVersion: "^0.1.0",
    configSchema: z.object({}),
    capabilities: { kinds: ["price"], freshRecords },
    create: () => ({
      async *read() {
        yield { kind: "price" as const, records: batch as never[] };
      },
    }),
  });

async function deliver(freshRecords: boolean, records: unknown[]) {
  batch = records;
  const store = `fresh-records-${freshRecords}-${Date.now()}-${Math.random()}`;
  const source = sourceWith(freshRecords);
  const loaded = await Pipeline.fromConfig(
    {
      name: "fresh-records",
      sources: [{ id: "in", type: source.name }],
      targets: [{ id: "mem", type: "memory", config: { store } }],
    },
    { registry: createRegistry(source), logger: silentLogger, stateStore: new MemoryStateStore() },
  );
  if (!loaded.ok) throw loaded.error;
  const summary = await loaded.value.run();
  await loaded.value.destroy();
  return { summary, store: memoryStore(store) };
}

describe("sources with fresh records", () => {
  it("hand on canonical records as they are, normalise the others, dead-letter the invalid", async () => {
    const kept = canonical("bitcoin");
    const numeric = price("ethereum", 2.5);
    const { summary, store } = await deliver(true, [kept, numeric, price("solana", "not a price")]);
    expect(summary.deadLetters).toBe(1);
    const written = new Map(
      store.list("price").map((record) => [(record as { coinId: string }).coinId, record]),
    );
    expect(written.get("bitcoin")).toBe(kept);
    expect(written.get("ethereum")).not.toBe(numeric);
    expect(written.get("ethereum")).toMatchObject({ usdPrice: "2.5" });
    expect(written.has("solana")).toBe(false);
  });

  it("copies even canonical records of a source that does not declare them fresh", async () => {
    const kept = canonical("bitcoin");
    const { store } = await deliver(false, [kept]);
    const [written] = store.list("price");
    expect(written).toStrictEqual(kept);
    expect(written).not.toBe(kept);
  });
});
