import { QiError } from "@qicore/core";
import { describe, expect, it } from "vitest";
import { createManualClock } from "./clock";
import { type Permit, RateBudget, RateBudgets } from "./rate-budget";

const MINUTE = 60_000;

describe("RateBudget", () => {
  it("grants callsPerMinute calls, then waits until the oldest call has been out of the window for a minute", async () => {
    const clock = createManualClock(0);
    const budget = new RateBudget("test", 3, clock);
    for (let call = 0; call < 3; call++) (await budget.acquire("live")).release();
    expect(clock.now()).toBe(0);
    clock.advance(1000);
    const fourth = await budget.acquire("live");
    expect(clock.now()).toBe(MINUTE);
    fourth.release();
    expect(budget.snapshot().granted).toBe(4);
  });

  it("counts calls in flight, and frees a slot one window after the response arrived", async () => {
    const clock = createManualClock(0);
    const budget = new RateBudget("test", 2, clock);
    const first = await budget.acquire("live");
    await budget.acquire("live");
    let thirdAt: number | undefined;
    const third = budget.acquire("live").then((permit) => {
      thirdAt = clock.now();
      return permit;
    });
    await flush();
    expect(thirdAt).toBeUndefined();
    clock.set(10_000);
    first.release();
    (await third).release();
    expect(thirdAt).toBe(10_000 + MINUTE);
  });

  it("serves live callers before backfill callers that waited longer", async () => {
    const clock = createManualClock(0);
    const budget = new RateBudget("test", 5, clock);
    for (let call = 0; call < 5; call++) (await budget.acquire("live")).release();
    const order: string[] = [];
    const take = (name: string, priority: "live" | "backfill") =>
      budget.acquire(priority).then((permit) => {
        order.push(name);
        permit.release();
      });
    const waits = [take("backfill-1", "backfill"), take("backfill-2", "backfill"), take("live", "live")];
    await Promise.all(waits);
    expect(order).toEqual(["live", "backfill-1", "backfill-2"]);
  });

  it("keeps a fifth of the window for live calls: backfills wait while a live call goes at once", async () => {
    const clock = createManualClock(0);
    const budget = new RateBudget("test", 10, clock);
    const held: Permit[] = [];
    for (let call = 0; call < 8; call++) held.push(await budget.acquire("backfill"));
    const now = clock.now();
    let ninthBackfill = false;
    const waiting = budget.acquire("backfill").then((permit) => {
      ninthBackfill = true;
      return permit;
    });
    await flush();
    expect(ninthBackfill).toBe(false);
    held.push(await budget.acquire("live"));
    held.push(await budget.acquire("live"));
    expect(clock.now()).toBe(now);
    for (const permit of held) permit.release();
    (await waiting).release();
    expect(clock.now()).toBe(now + MINUTE);
  });

  it("paces backfills at twice the average rate, while live calls may come together", async () => {
    const clock = createManualClock(0);
    const budget = new RateBudget("test", 10, clock);
    const grants: [string, number][] = [];
    for (let call = 0; call < 3; call++) {
      (await budget.acquire("backfill")).release();
      grants.push(["backfill", clock.now()]);
    }
    for (let call = 0; call < 3; call++) {
      (await budget.acquire("live")).release();
      grants.push(["live", clock.now()]);
    }
    expect(grants).toEqual([
      ["backfill", 0],
      ["backfill", 3_000],
      ["backfill", 6_000],
      ["live", 6_000],
      ["live", 6_000],
      ["live", 6_000],
    ]);
  });

  it("lets backfills take at most half the budget in any half minute", async () => {
    const clock = createManualClock(0);
    const budget = new RateBudget("test", 10, clock);
    const times: number[] = [];
    for (let call = 0; call < 7; call++) {
      (await budget.acquire("backfill")).release();
      times.push(clock.now());
    }
    expect(times).toEqual([0, 3_000, 6_000, 9_000, 12_000, 30_000, 33_000]);
  });

  it("holds every caller until a blocked-until time (a server's Retry-After)", async () => {
    const clock = createManualClock(5_000);
    const budget = new RateBudget("test", 100, clock);
    budget.block(35_000);
    (await budget.acquire("live")).release();
    expect(clock.now()).toBe(35_000);
  });

  it("stretches the window below one call a minute", async () => {
    const clock = createManualClock(0);
    const budget = new RateBudget("test", 0.5, clock);
    (await budget.acquire("live")).release();
    (await budget.acquire("live")).release();
    expect(clock.now()).toBe(2 * MINUTE);
  });

  it("rejects a waiting caller whose signal aborts, without using a slot", async () => {
    const clock = createManualClock(0);
    const budget = new RateBudget("test", 1, clock);
    const held = await budget.acquire("live");
    const controller = new AbortController();
    const waiting = budget.acquire("backfill", controller.signal);
    controller.abort();
    const error = await waiting.catch((thrown: unknown) => thrown);
    expect(QiError.isInstance(error) && error.code).toBe("CANCELLED");
    expect(budget.snapshot().waiting).toEqual({ live: 0, backfill: 0 });
    held.release();
    expect(budget.snapshot().granted).toBe(1);
  });
});

describe("RateBudgets", () => {
  const clock = createManualClock(0);
  const request = (apiKey: string | undefined, callsPerMinute?: number) => ({
    plan: "demo" as const,
    apiKey,
    callsPerMinute,
    defaultCallsPerMinute: 30,
    clock,
  });

  it("gives every user of a key and plan the same budget, and other keys their own", () => {
    const budgets = new RateBudgets();
    const first = budgets.budgetFor(request("key-a"));
    expect(budgets.budgetFor(request("key-a"))).toBe(first);
    expect(budgets.budgetFor(request("key-b"))).not.toBe(first);
    expect(budgets.budgetFor({ ...request("key-a"), plan: "pro" })).not.toBe(first);
    expect(first.callsPerMinute).toBe(30);
    expect(first.description).not.toContain("key-a");
  });

  it("keeps the lowest configured rate, and a discovered rate never overrides a configured one", () => {
    const budgets = new RateBudgets();
    const budget = budgets.budgetFor(request("key", 20));
    budgets.budgetFor(request("key", 50));
    expect(budget.callsPerMinute).toBe(20);
    budgets.budgetFor(request("key", 10));
    expect(budget.callsPerMinute).toBe(10);
    budget.setRate(500, "discovered");
    expect(budget.callsPerMinute).toBe(10);
    const fresh = budgets.budgetFor(request("other"));
    fresh.setRate(500, "discovered");
    expect(fresh.callsPerMinute).toBe(500);
    expect(fresh.limitSource).toBe("discovered");
  });
});

/** Lets pending promise callbacks run. */
async function flush(): Promise<void> {
  for (let turn = 0; turn < 5; turn++) await Promise.resolve();
}
