import { describe, expect, it } from "vitest";
import { FrameQueue, type QueuedItem } from "./frame-queue";

const frame = (index: number): QueuedItem => ({
  type: "frame",
  text: String(index),
  receivedAt: index,
  connection: 0,
  epoch: 1,
});

const texts = (items: readonly QueuedItem[]) =>
  items.map((item) => (item.type === "frame" ? Number(item.text) : -1));

describe("FrameQueue", () => {
  it("hands every frame on once, in order, when takes find frames waiting and across compactions", async () => {
    const flow = { paused: 0, resumed: 0, pause: () => flow.paused++, resume: () => flow.resumed++ };
    const queue = new FrameQueue(flow, 20_000, 5_000);
    const signal = new AbortController().signal;
    const seen: number[] = [];
    let pushed = 0;
    // Frames arrive faster than they are taken: every take but the first finds some waiting,
    // and the head passes the compaction threshold many times.
    for (let round = 0; round < 40; round++) {
      for (let index = 0; index < 3_000; index++) queue.push(frame(pushed++));
      seen.push(...texts((await queue.take(2_500, signal)) ?? []));
    }
    while (queue.length > 0) seen.push(...texts((await queue.take(2_500, signal)) ?? []));
    expect(seen).toEqual(Array.from({ length: pushed }, (_, index) => index));
    // 20,000 waiting paused the sockets; draining below 5,000 resumed them.
    expect(flow.paused).toBe(1);
    expect(flow.resumed).toBe(1);
  });

  it("waits for the first frame, and gives up when the signal aborts", async () => {
    const queue = new FrameQueue({ pause: () => undefined, resume: () => undefined });
    const controller = new AbortController();
    const waiting = queue.take(10, controller.signal);
    queue.push(frame(7));
    queue.push(frame(8));
    expect(texts((await waiting) ?? [])).toEqual([7, 8]);
    const aborted = queue.take(10, controller.signal);
    controller.abort();
    expect(await aborted).toBeUndefined();
  });
});
