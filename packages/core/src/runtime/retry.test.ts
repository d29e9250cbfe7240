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
    ).rejects.toMatchObject({ code: "NETWORK_ERROR", context: { attempts: 4 } });
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
