import { describe, expect, it } from "vitest";
import { withEventLoopTurns } from "./event-loop-turns";

/** Batches that are always ready: reading them awaits only promises, never I/O. */
async function* ready(count: number): AsyncGenerator<number> {
  for (let index = 0; index < count; index++) yield index;
}

/** The batch being read when a setImmediate queued before the read first ran, or undefined. */
async function firstTurnDuring(batches: AsyncIterable<number>): Promise<number | undefined> {
  let ran = false;
  setImmediate(() => {
    ran = true;
  });
  for await (const batch of batches) if (ran) return batch;
  return undefined;
}

describe("withEventLoopTurns", () => {
  it("lets timers and sockets in while batches are always ready", async () => {
    // Without it, nothing else runs until the last batch: the problem it solves.
    expect(await firstTurnDuring(ready(10_000))).toBeUndefined();
    expect(await firstTurnDuring(withEventLoopTurns(ready(10_000), 0))).toBe(1);
  });

  it("hands on every batch in order, and stops the source when the reader stops", async () => {
    const read: number[] = [];
    for await (const batch of withEventLoopTurns(ready(5), 0)) read.push(batch);
    expect(read).toEqual([0, 1, 2, 3, 4]);
    let finished = false;
    async function* source() {
      try {
        yield* ready(100);
      } finally {
        finished = true;
      }
    }
    for await (const batch of withEventLoopTurns(source())) if (batch === 2) break;
    expect(finished).toBe(true);
  });
});
