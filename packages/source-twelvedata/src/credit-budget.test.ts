import { QiError } from "@qicore/core";
import { describe, expect, it } from "vitest";
import { createManualClock } from "./clock";
import { CreditBudget, CreditBudgets, type CreditGrant } from "./credit-budget";

const T0 = Date.parse("2024-03-12T12:00:00Z");
const MINUTE = 60_000;

function budget(perMinute: number, perDay: number | undefined, start = T0) {
  const clock = createManualClock(start);
  return { clock, budget: new CreditBudget("basic key test", { perMinute, perDay }, clock) };
}

describe("credits per minute", () => {
  it("grants at most the minute's credits; the next ones wait until a minute after the answers", async () => {
    const { clock, budget: credits } = budget(8, undefined);
    const grants: CreditGrant[] = [];
    grants.push(await credits.acquire(5, "live"));
    grants.push(await credits.acquire(3, "live"));
    for (const grant of grants) grant.release();
    const answeredAt = clock.now();
    clock.advance(10_000);
    await credits.acquire(1, "live");
    expect(clock.now()).toBe(answeredAt + MINUTE);
  });

  it("refuses a request bigger than a minute's credits (callers split them)", async () => {
    const { budget: credits } = budget(8, undefined);
    await expect(credits.acquire(9, "live")).rejects.toThrow(/cannot fit/);
  });

  it("live callers go first; a backfill leaves one round of live polls' credits in every minute", async () => {
    const { clock, budget: credits } = budget(8, undefined);
    credits.setLiveDemand("live-source", [{ credits: 3, everyMs: MINUTE }]);
    const order: string[] = [];
    const backfills = [1, 2, 3, 4, 5, 6].map((index) =>
      credits.acquire(1, "backfill").then((grant) => {
        order.push(`backfill ${index} at ${clock.now() - T0}`);
        grant.release();
      }),
    );
    const live = credits.acquire(3, "live").then((grant) => {
      order.push(`live at ${clock.now() - T0}`);
      grant.release();
    });
    await Promise.all([...backfills, live]);
    // 8 − 3 kept for live = 5 backfill credits in the first minute; the 6th waits a minute.
    expect(order.slice(0, 6)).toEqual([
      "backfill 1 at 0",
      "backfill 2 at 0",
      "backfill 3 at 0",
      "backfill 4 at 0",
      "backfill 5 at 0",
      "live at 0",
    ]);
    expect(order[6]).toBe(`backfill 6 at ${MINUTE}`);
  });

  it("after a 429 every caller of the key waits until the time given", async () => {
    const { clock, budget: credits } = budget(8, undefined);
    credits.block(T0 + 30_000);
    await credits.acquire(1, "live");
    expect(clock.now()).toBe(T0 + 30_000);
  });

  it("counts what /api_usage says this minute already spent", async () => {
    const { clock, budget: credits } = budget(8, undefined);
    credits.noteUsage({ minute: 8 });
    await credits.acquire(1, "live");
    expect(clock.now()).toBe(T0 + MINUTE);
  });
});

describe("credits per UTC day (Basic)", () => {
  it("refuses a backfill at once when it would eat into what the live polls need until midnight, naming when it goes on", async () => {
    const { budget: credits } = budget(8, 800, Date.parse("2024-03-12T20:00:00Z"));
    // 4 hours left today: 2 credits every 5 minutes = 96 credits kept for live polls.
    credits.setLiveDemand("live-source", [{ credits: 2, everyMs: 5 * MINUTE }]);
    credits.noteUsage({ day: 700 });
    expect(credits.snapshot().liveReserve).toBe(96);
    const refused = await credits.acquire(5, "backfill").then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(QiError.isInstance(refused) && refused.code).toBe("TWELVEDATA_DAILY_CREDITS_SPENT");
    expect((refused as Error).message).toContain("2024-03-13T00:00:00.000Z");
    (await credits.acquire(4, "backfill")).release();
    expect(credits.snapshot().dayUsed).toBe(704);
  });

  it("a live call that finds the day spent waits for midnight UTC", async () => {
    const { clock, budget: credits } = budget(8, 800, Date.parse("2024-03-12T23:00:00Z"));
    credits.noteUsage({ day: 800 });
    await credits.acquire(1, "live");
    expect(new Date(clock.now()).toISOString()).toBe("2024-03-13T00:00:00.000Z");
  });

  it("an answer that arrives after midnight counts for both days", async () => {
    const { clock, budget: credits } = budget(8, 800, Date.parse("2024-03-12T23:59:59Z"));
    const grant = await credits.acquire(3, "live");
    clock.advance(2_000);
    grant.release();
    expect(credits.snapshot().dayUsed).toBe(3);
  });
});

describe("one budget per key in the process", () => {
  it("two sources with one key share a budget; a lower configured limit wins; discovery does not override the config", () => {
    const budgets = new CreditBudgets();
    const clock = createManualClock(T0);
    const defaults = { perMinute: 8, perDay: 800 };
    const first = budgets.budgetFor({ plan: "basic", apiKey: "k1", configured: undefined, defaults, clock });
    const second = budgets.budgetFor({
      plan: "basic",
      apiKey: "k1",
      configured: { perMinute: 5 },
      defaults,
      clock,
    });
    const other = budgets.budgetFor({ plan: "basic", apiKey: "k2", configured: undefined, defaults, clock });
    expect(second).toBe(first);
    expect(other).not.toBe(first);
    expect(first.perMinute).toBe(5);
    first.setLimits({ perMinute: 55, perDay: undefined }, "discovered");
    expect(first.perMinute).toBe(5);
    expect(first.description).not.toContain("k1");
  });
});
