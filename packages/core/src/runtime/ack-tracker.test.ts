import { describe, expect, it } from "vitest";
import { AckTracker } from "./ack-tracker";

describe("AckTracker", () => {
  it("commits checkpoints only in read order, after every earlier batch is done", async () => {
    const committed: unknown[] = [];
    const tracker = new AckTracker(async (checkpoint) => void committed.push(checkpoint));
    const first = tracker.track("price", [], { next: 1 }, 2);
    const second = tracker.track("price", [], { next: 2 }, 1);
    second.settle();
    await Promise.resolve();
    expect(committed).toEqual([]); // the first batch still waits for a target
    first.settle();
    expect(committed).toEqual([]); // and for its second target
    first.settle();
    await tracker.idle();
    expect(committed).toEqual([{ next: 2 }]); // both done: the newest checkpoint covers both
  });

  it("counts split pieces before a batch is done", async () => {
    const done: number[] = [];
    const tracker = new AckTracker(async () => {});
    const ticket = tracker.track("price", [], undefined, 1, (finished) => done.push(finished.records.length));
    ticket.addPending();
    ticket.settle();
    expect(ticket.done).toBe(false);
    ticket.settle();
    expect(ticket.done).toBe(true);
    expect(done).toEqual([0]);
  });

  it("settles at once a batch that goes nowhere, without blocking later ones", async () => {
    const committed: unknown[] = [];
    const tracker = new AckTracker(async (checkpoint) => void committed.push(checkpoint));
    tracker.track("price", [], { next: 5 }, 0);
    await tracker.idle();
    expect(committed).toEqual([{ next: 5 }]);
    expect(tracker.openCount).toBe(0);
  });
});
