import { describe, expect, it } from "vitest";
import type { MarketRecord } from "../dsl/kinds";
import { WriteScheduler } from "./write-scheduler";

const price = (instrument: string, minute: number) =>
  ({
    exchangeId: "aggregate",
    instrument,
    quote: "USD",
    lastUpdated: new Date(Date.UTC(2024, 0, 1, 0, minute)).toISOString(),
  }) as unknown as MarketRecord;

/** A write that finishes when the test says so, noting when it started. */
function gatedWrite(name: string, started: string[]) {
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return {
    run: async () => {
      started.push(name);
      await done;
    },
    finish,
  };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("WriteScheduler", () => {
  it("runs up to its concurrency at once, in order, and a write sharing a key with one in flight waits, with all after it", async () => {
    const started: string[] = [];
    const scheduler = new WriteScheduler(3, (thrown) => {
      throw thrown;
    });
    const a = gatedWrite("a", started);
    const b = gatedWrite("b", started);
    const c = gatedWrite("c", started);
    const d = gatedWrite("d", started);
    scheduler.schedule("price", [price("x", 1), price("y", 1)], a.run);
    scheduler.schedule("price", [price("x", 2)], b.run);
    scheduler.schedule("price", [price("y", 1)], c.run);
    scheduler.schedule("price", [price("z", 9)], d.run);
    await turn();
    // c shares (y, minute 1) with a: it waits, and so does d behind it.
    expect(started).toEqual(["a", "b"]);
    b.finish();
    await turn();
    expect(started).toEqual(["a", "b"]);
    a.finish();
    await turn();
    expect(started).toEqual(["a", "b", "c", "d"]);
    c.finish();
    d.finish();
    await scheduler.idle();
  });

  it("never runs more than its concurrency", async () => {
    const started: string[] = [];
    const scheduler = new WriteScheduler(2, () => {});
    const writes = ["a", "b", "c"].map((name) => gatedWrite(name, started));
    for (const [index, write] of writes.entries())
      scheduler.schedule("price", [price("k", index)], write.run);
    await turn();
    expect(started).toEqual(["a", "b"]);
    writes[1]?.finish();
    await turn();
    expect(started).toEqual(["a", "b", "c"]);
    for (const write of writes) write.finish();
    await scheduler.idle();
  });
});
