import { describe, expect, it } from "vitest";
import { QiError } from "../errors/qi-error";
import { backoffDelay, withRetry } from "./retry";

const policy = { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 250 };
const noSleep = async () => {};

describe("withRetry", () => {
  it("retries retryable errors until success", async () => {
    let calls = 0;
    const value = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw new QiError({ code: "NETWORK_ERROR", message: "reset", category: "NETWORK" });
        return "written";
      },
      policy,
      { sleep: noSleep },
    );
    expect(value).toBe("written");
    expect(calls).toBe(3);
  });

  it("does not retry a non-retryable error", async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new QiError({ code: "VALIDATION_FAILED", message: "bad row", category: "VALIDATION" });
        },
        policy,
        { sleep: noSleep },
      ),
    ).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    expect(calls).toBe(1);
  });

  it("gives up after maxAttempts and says how many were made", async () => {
    const delays: number[] = [];
    await expect(
      withRetry(
        async () => {
          throw Object.assign(new Error("refused"), { code: "ECONNREFUSED" });
        },
        policy,
        { sleep: noSleep, onRetry: (_error, _attempt, delay) => delays.push(delay) },
      ),
    ).rejects.toMatchObject({
      code: "RETRIES_EXHAUSTED",
      retryable: false,
      context: { attempts: 4, failure: "NETWORK_ERROR" },
    });
    expect(delays).toHaveLength(3);
  });

  it("backs off exponentially with full jitter, capped at maxDelay", () => {
    expect(backoffDelay(policy, 1, () => 1)).toBe(100);
    expect(backoffDelay(policy, 2, () => 1)).toBe(200);
    expect(backoffDelay(policy, 5, () => 1)).toBe(250);
    expect(backoffDelay(policy, 3, () => 0.5)).toBe(125);
    expect(backoffDelay(policy, 3, () => 0)).toBe(0);
  });
});

describe("withRetry without bounds (the pipeline default)", () => {
  const unbounded = { initialDelayMs: 1, maxDelayMs: 2 };

  it("waits out a long outage: 60 failed attempts, then success", async () => {
    let calls = 0;
    let recovered: [number, number] | undefined;
    const value = await withRetry(
      async () => {
        calls++;
        if (calls <= 60)
          throw new QiError({ code: "NETWORK_ERROR", message: "refused", category: "NETWORK" });
        return "back";
      },
      unbounded,
      { sleep: noSleep, onRecovered: (attempts, elapsedMs) => (recovered = [attempts, elapsedMs]) },
    );
    expect(value).toBe("back");
    expect(calls).toBe(61);
    expect(recovered?.[0]).toBe(61);
  });

  it("gives up after maxElapsed, as RETRIES_EXHAUSTED naming the bound", async () => {
    let clock = 0;
    const error = await withRetry(
      async () => {
        clock += 1_000;
        throw new QiError({ code: "NETWORK_ERROR", message: "refused", category: "NETWORK" });
      },
      { ...unbounded, maxElapsedMs: 10_000 },
      { sleep: noSleep, now: () => clock },
    ).catch((thrown: unknown) => thrown as QiError);
    expect(error.code).toBe("RETRIES_EXHAUSTED");
    expect(error.message).toMatch(
      /refused \(still failing after 11 attempts over 10\.0 s; delivery\.retry maxElapsed 10 s\)/,
    );
  });

  it("gives up as CANCELLED, not as a refusal, when its signal aborts", async () => {
    const controller = new AbortController();
    let calls = 0;
    const error = await withRetry(
      async () => {
        calls++;
        if (calls === 3) controller.abort();
        throw new QiError({ code: "NETWORK_ERROR", message: "refused", category: "NETWORK" });
      },
      unbounded,
      { sleep: noSleep, signal: controller.signal },
    ).catch((thrown: unknown) => thrown as QiError);
    expect(error).toMatchObject({
      code: "CANCELLED",
      retryable: false,
      context: { attempts: 3, failure: "NETWORK_ERROR" },
    });
  });
});
