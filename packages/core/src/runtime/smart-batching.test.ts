/**
 * Smart batching: a target with a write slot free gets what is buffered at once (no timer to
 * wait for at a low rate), and records that arrive while its writes are busy gather into one
 * batch that goes when a write finishes. `sendWhenIdle: false` waits for `maxWait` instead.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineSource, defineTarget } from "../adapters/define";
import { ADAPTER_CONTRACT_VERSION, type SourceBatch } from "../adapters/types";
import { createRegistry } from "../registry/registry";
import { silentLogger } from "./logger";
import { Pipeline } from "./pipeline";
import { MemoryStateStore } from "./state-store";

const price = (coinId: string, minute: number) => ({
  coinId,
  symbol: coinId.slice(0, 3).toUpperCase(),
  usdPrice: "100.5",
  lastUpdated: new Date(Date.UTC(2024, 0, 1, 0, minute)).toISOString(),
  source: "test",
  attribution: "test",
});

const prices = (count: number, from: number): SourceBatch => ({
  kind: "price",
  records: Array.from({ length: count }, (_, index) => price("bitcoin", from + index)),
});

/** What a test scripts: the source's reading, given a way to hand on batches. */
type Script = (emit: (batch: SourceBatch) => void) => Promise<void>;

interface Harness {
  script: Script;
  /** Batch sizes the target was given, in order. */
  writes: number[];
  /** Each write waits for this before it finishes. */
  release: () => Promise<void>;
}

const harnesses = new Map<string, Harness>();

const scriptedSource = defineSource({
  name: "scripted-batches",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema: z.object({ harness: z.string() }),
  capabilities: { kinds: ["price"] },
  create: ({ harness }) => ({
    async *read() {
      const queue: SourceBatch[] = [];
      let wake: (() => void) | undefined;
      let done = false;
      const script = (harnesses.get(harness) as Harness).script((batch) => {
        queue.push(batch);
        wake?.();
      });
      void script.finally(() => {
        done = true;
        wake?.();
      });
      while (true) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        if (done) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    },
  }),
});

const gatedTarget = defineTarget({
  name: "gated",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema: z.object({ harness: z.string() }),
  capabilities: { kinds: ["price"], idempotent: true },
  create: ({ harness }) => ({
    async write(_kind, records) {
      const own = harnesses.get(harness) as Harness;
      own.writes.push(records.length);
      await own.release();
    },
  }),
});

async function run(harness: Harness, batch: Record<string, unknown>) {
  const id = `smart-batching-${Math.random()}`;
  harnesses.set(id, harness);
  const loaded = await Pipeline.fromConfig(
    {
      name: "smart-batching",
      sources: [{ id: "in", type: "scripted-batches", config: { harness: id } }],
      targets: [{ id: "out", type: "gated", config: { harness: id } }],
      delivery: { batch },
    },
    {
      registry: createRegistry(scriptedSource, gatedTarget),
      logger: silentLogger,
      stateStore: new MemoryStateStore(),
    },
  );
  if (!loaded.ok) throw loaded.error;
  const summary = await loaded.value.run();
  await loaded.value.destroy();
  harnesses.delete(id);
  return summary;
}

/** Resolves once `check` holds, looking after every event-loop turn. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

describe("smart batching", () => {
  it("writes a lone record to an idle target at once, not after maxWait", async () => {
    const harness: Harness = {
      writes: [],
      release: async () => undefined,
      // With maxWait an hour, only sending when idle gets the record written before the source ends.
      script: async (emit) => {
        emit(prices(1, 0));
        await until(() => harness.writes.length === 1);
      },
    };
    const summary = await run(harness, { maxRecords: 1000, maxWait: "1h" });
    expect(harness.writes).toEqual([1]);
    expect(summary.recordsOut.out).toBe(1);
  });

  it("gathers what arrives while the write is busy into one batch, sent when the write finishes", async () => {
    let open: (() => void) | undefined;
    const firstWriteDone = new Promise<void>((resolve) => {
      open = resolve;
    });
    const harness: Harness = {
      writes: [],
      release: () => firstWriteDone,
      script: async (emit) => {
        emit(prices(1, 0));
        await until(() => harness.writes.length === 1);
        for (let batch = 0; batch < 3; batch++) {
          emit(prices(2, 1 + batch * 2));
          // Each batch is handed on in a turn of its own, so nothing of this gathering is by chance.
          await new Promise((resolve) => setImmediate(resolve));
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(harness.writes).toEqual([1]);
        open?.();
        await until(() => harness.writes.length === 2);
      },
    };
    const summary = await run(harness, { maxRecords: 1000, maxWait: "1h" });
    expect(harness.writes).toEqual([1, 6]);
    expect(summary.recordsOut.out).toBe(7);
  });

  it("waits maxWait for a batch to fill when sendWhenIdle is false", async () => {
    let writesWhileReading = -1;
    const harness: Harness = {
      writes: [],
      release: async () => undefined,
      script: async (emit) => {
        emit(prices(1, 0));
        await new Promise((resolve) => setTimeout(resolve, 20));
        emit(prices(1, 1));
        await new Promise((resolve) => setTimeout(resolve, 20));
        writesWhileReading = harness.writes.length;
      },
    };
    const summary = await run(harness, { maxRecords: 1000, maxWait: "1h", sendWhenIdle: false });
    // Nothing went while the source read; the end of the input sent both records as one batch.
    expect(writesWhileReading).toBe(0);
    expect(harness.writes).toEqual([2]);
    expect(summary.recordsOut.out).toBe(2);
  });
});
