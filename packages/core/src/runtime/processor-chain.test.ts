import { describe, expect, it } from "vitest";
import type { ProcessorHandlers } from "../adapters/processor-types";
import type { ProcessorDefinition } from "../adapters/types";
import { BatchTicket } from "./ack-tracker";
import { PipelineMetrics } from "./metrics";
import { ProcessorChain } from "./processor-chain";

/** A chain of one step whose oldest retained input batch the test sets. */
function chainRetaining() {
  const state = { retainedFrom: undefined as number | undefined };
  const handlers: ProcessorHandlers = {
    process: () => ({ batches: [] }),
    retainedFrom: () => state.retainedFrom,
  };
  const definition = { name: "holder", capabilities: { kinds: ["trade"], emits: ["ohlcv"] } };
  const chain = new ProcessorChain(
    [{ label: "src/holder", definition: definition as unknown as ProcessorDefinition, handlers }],
    new PipelineMetrics("chain"),
  );
  return { chain, state };
}

/** A source batch (or a call's outputs) that `pending` deliveries must settle; `done` says when it may be acknowledged. */
function ticket(pending: number, sequence?: number) {
  const seen = { done: false };
  const made = new BatchTicket(undefined, pending, () => (seen.done = true), sequence);
  return { ticket: made, seen };
}

describe("ProcessorChain holds", () => {
  it("releases a held batch only once every output handed on since it was held is written, not only the last call's", () => {
    const { chain, state } = chainRetaining();
    // Batch 1 opens two buckets, A and B: it is held.
    state.retainedFrom = 1;
    const first = ticket(0, 1);
    chain.settleHolds(first.ticket, { sequence: 1, ticket: first.ticket });
    first.ticket.settleIfNothingPending();
    expect(first.seen.done).toBe(false);
    // Batch 2 closes A: its candle is handed on and still being written; B still holds batch 1.
    const second = ticket(1, 2);
    chain.settleHolds(second.ticket, { sequence: 2, ticket: second.ticket });
    // Batch 3 closes B, whose candle was written by an earlier run: nothing to hand on, so its
    // outputs are written at once, and nothing retains batch 1 any more.
    state.retainedFrom = undefined;
    const third = ticket(0, 3);
    chain.settleHolds(third.ticket, { sequence: 3, ticket: third.ticket });
    third.ticket.settleIfNothingPending();
    // A's candle, which carries batch 1's effect, is not written yet: batch 1 must wait.
    expect(first.seen.done).toBe(false);
    second.ticket.settle();
    expect(first.seen.done).toBe(true);
  });

  it("releases in call order when outputs are written out of order", () => {
    const { chain, state } = chainRetaining();
    state.retainedFrom = 1;
    const first = ticket(0, 1);
    chain.settleHolds(first.ticket, { sequence: 1, ticket: first.ticket });
    first.ticket.settleIfNothingPending();
    const second = ticket(1, 2);
    state.retainedFrom = 2;
    chain.settleHolds(second.ticket, { sequence: 2, ticket: second.ticket });
    const third = ticket(1, 3);
    state.retainedFrom = undefined;
    chain.settleHolds(third.ticket, { sequence: 3, ticket: third.ticket });
    // The third call's outputs land first: batch 1 (released by the second call) waits for the second's.
    third.ticket.settle();
    expect([first.seen.done, second.seen.done]).toEqual([false, false]);
    second.ticket.settle();
    expect([first.seen.done, second.seen.done, third.seen.done]).toEqual([true, true, true]);
  });
});
