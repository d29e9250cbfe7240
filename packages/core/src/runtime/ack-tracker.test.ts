import { describe, expect, it } from "vitest";
import { AckTracker } from "./ack-tracker";

describe("AckTracker", () => {
  it("commits checkpoints only in read order, after every earlier batch is done", async () => {
    const committed: unknown[] = [];
    const tracker = new AckTracker(async (checkpoint) => void committed.push(checkpoint));
    const first = tracker.track({ next: 1 }, 2);
    const second = tracker.track({ next: 2 }, 1);
    second.settle();
    await Promise.resolve();
    expect(committed).toEqual([]); // the first batch still waits for a target
    first.settle();
    expect(committed).toEqual([]); // and for its second target
    first.settle();
    await tracker.idle();
    expect(committed).toEqual([{ next: 2 }]); // both done: the newest checkpoint covers both
  });

  it("counts split pieces before a batch is written", () => {
    const written: string[] = [];
    const tracker = new AckTracker(async () => {});
    const ticket = tracker.track(undefined, 1, () => written.push("written"));
    ticket.addPending();
    ticket.settle();
    expect(ticket.written).toBe(false);
    ticket.settle();
    expect(ticket.written).toBe(true);
    expect(written).toEqual(["written"]);
  });

  it("settles at once a batch that goes nowhere, without blocking later ones", async () => {
    const committed: unknown[] = [];
    const tracker = new AckTracker(async (checkpoint) => void committed.push(checkpoint));
    tracker.track({ next: 5 }, 0).settleIfNothingPending();
    await tracker.idle();
    expect(committed).toEqual([{ next: 5 }]);
    expect(tracker.openCount).toBe(0);
  });

  it("acknowledges a held batch only when its hold is released, and nothing after it before that", async () => {
    const committed: unknown[] = [];
    const tracker = new AckTracker(async (checkpoint) => void committed.push(checkpoint));
    const held = tracker.track({ next: 1 }, 1);
    held.addHold();
    const later = tracker.track({ next: 2 }, 1);
    held.settle();
    later.settle();
    expect(held.written).toBe(true);
    await Promise.resolve();
    expect(committed).toEqual([]);
    held.releaseHold();
    await tracker.idle();
    expect(committed).toEqual([{ next: 2 }]);
  });

  it("commits once, the newest checkpoint, when held batches are released in one burst", async () => {
    const committed: unknown[] = [];
    const tracker = new AckTracker(async (checkpoint) => void committed.push(checkpoint));
    const tickets = [1, 2, 3, 4, 5].map((next) => {
      const ticket = tracker.track({ next }, 1);
      ticket.addHold();
      ticket.settle();
      return ticket;
    });
    // A closing bucket releases what it held, oldest first, in one go.
    for (const ticket of tickets) ticket.releaseHold();
    await tracker.idle();
    expect(committed).toEqual([{ next: 5 }]);
    expect(tracker.openCount).toBe(0);
  });

  it("still commits each batch that finishes in a later turn", async () => {
    const committed: unknown[] = [];
    const tracker = new AckTracker(async (checkpoint) => void committed.push(checkpoint));
    tracker.track({ next: 1 }, 1).settle();
    await tracker.idle();
    tracker.track({ next: 2 }, 1).settle();
    await tracker.drained();
    expect(committed).toEqual([{ next: 1 }, { next: 2 }]);
  });
});
