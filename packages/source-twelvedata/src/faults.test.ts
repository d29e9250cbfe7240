import { type QiError, toQiError } from "@qicore/core";
import { afterEach, describe, expect, it } from "vitest";
import {
  type Harness,
  type HarnessOptions,
  readOnce,
  recordsOf,
  startHarness,
  TEST_KEY,
} from "../test-support/harness";
import { createManualClock } from "./clock";
import type { TwelveDataConfigInput } from "./config";
import type { FakeFault } from "./testing/fake-twelvedata";

const T0 = Date.parse("2024-03-12T15:00:10Z");

let harnesses: Harness[] = [];
afterEach(async () => {
  for (const harness of harnesses) await harness.close();
  harnesses = [];
});

async function start(config: Partial<TwelveDataConfigInput> = {}, options: Partial<HarnessOptions> = {}) {
  const clock = createManualClock(T0);
  const harness = await startHarness({
    clock,
    ...options,
    config: { instruments: ["AAPL", "EUR/USD"], once: true, timeout: "1s", ...config },
  });
  harnesses.push(harness);
  return { ...harness, clock };
}

async function failure(harness: Harness): Promise<QiError> {
  try {
    await readOnce(harness.handlers);
  } catch (thrown) {
    return toQiError(thrown);
  }
  throw new Error("the read did not fail");
}

describe("error answers: the body's status decides, whatever the HTTP code", () => {
  for (const errorStatus of ["200", "code"] as const) {
    it(`401 (sent as HTTP ${errorStatus === "200" ? 200 : 401}): a wrong key fails at once, not retried, saying where the key came from`, async () => {
      const harness = await start(
        {},
        { env: { TWELVEDATA_API_KEY: "not-a-known-key" }, server: { errorStatus } },
      );
      const error = await failure(harness);
      expect(error).toMatchObject({
        code: "TWELVEDATA_UNAUTHORIZED",
        retryable: false,
        category: "SECURITY",
      });
      expect(error.message).toContain("TWELVEDATA_API_KEY");
      expect(harness.server.requests).toHaveLength(1);
    });

    it(`5xx in the body (HTTP ${errorStatus === "200" ? 200 : 500}) is a passing failure for the pipeline to retry`, async () => {
      const harness = await start({}, { server: { errorStatus } });
      harness.server.inject({ kind: "error", code: 500, message: "We're sorry" });
      const error = await failure(harness);
      expect(error).toMatchObject({ code: "EXTERNAL_ERROR", retryable: true });
      expect(harness.server.requests).toHaveLength(1);
    });
  }

  it("403 says the key's plan does not include it, and is not retried", async () => {
    const harness = await start();
    harness.server.inject({
      kind: "error",
      code: 403,
      message: "This endpoint is available exclusively with grow or pro plans",
    });
    expect(await failure(harness)).toMatchObject({ code: "TWELVEDATA_PLAN_RESTRICTED", retryable: false });
  });
});

describe("429: credits of the minute", () => {
  it("waits for the next minute and tries again, holding every caller of the key; the records land", async () => {
    const harness = await start();
    harness.server.inject({ kind: "rate-limit", path: "/quote" });
    const batches = await readOnce(harness.handlers);
    expect(recordsOf(batches, "price")).toHaveLength(2);
    const [refused, retried] = harness.server.requests;
    expect(refused?.code).toBe(429);
    expect((retried?.time ?? 0) - T0).toBeGreaterThanOrEqual(50_000);
    expect(new Date(retried?.time ?? 0).getUTCSeconds()).toBe(1);
  });

  it("after `retries` further refusals the error is final (not retryable) and says how many attempts were made", async () => {
    const harness = await start({ retries: 2 });
    harness.server.inject({ kind: "rate-limit", path: "/quote", times: 10 });
    const error = await failure(harness);
    expect(error).toMatchObject({ code: "RATE_LIMITED", retryable: false });
    expect(error.message).toContain("3 time(s)");
    expect(harness.server.requests).toHaveLength(3);
  });

  it("a 429 for the day is not retried within the day", async () => {
    const harness = await start({ streams: { quotes: {} } });
    harness.server.inject({ kind: "daily-limit", path: "/quote" });
    const error = await failure(harness);
    expect(error).toMatchObject({ code: "TWELVEDATA_DAILY_CREDITS_SPENT", retryable: false });
    expect(error.message).toContain("2024-03-13T00:00:00.000Z");
    expect(harness.server.requests).toHaveLength(1);
  });
});

describe("broken answers and connections are passing failures, thrown at once for the pipeline's retry", () => {
  const cases: [string, FakeFault, string][] = [
    ["a body cut in half", { kind: "truncated" }, "not complete JSON"],
    ["a connection dropped mid-body", { kind: "cut" }, "failed"],
    ["a reset connection", { kind: "reset" }, "failed"],
    ["no answer within the timeout", { kind: "hang" }, "timeout"],
    ["HTTP 502 without JSON", { kind: "status", status: 502, body: "<html>Bad gateway</html>" }, "HTTP 502"],
  ];
  for (const [name, fault, text] of cases) {
    it(name, async () => {
      const harness = await start();
      harness.server.inject(fault);
      const error = await failure(harness);
      expect(error.retryable, error.message).toBe(true);
      expect(error.message).toContain(text);
      expect(harness.server.requests).toHaveLength(1);
    });
  }

  it("a read after a failure starts again from the checkpoint it was given, and nothing is lost", async () => {
    const harness = await start({
      streams: { backfill: { interval: "1day", from: "2024-01-01", to: "2024-03-01" } },
    });
    harness.server.inject({ kind: "hang", path: "/time_series" });
    expect((await failure(harness)).code).toBe("TIMEOUT");
    const batches = await readOnce(harness.handlers);
    expect(recordsOf(batches, "ohlcv").length).toBeGreaterThan(80);
  });
});

describe("the key", () => {
  it("travels only in the Authorization header: never in a URL, a log line or an error message", async () => {
    const harness = await start({
      streams: { quotes: {}, candles: {}, backfill: { interval: "1day", from: "2024-01-01" } },
    });
    await harness.handlers.connect?.();
    await readOnce(harness.handlers);
    harness.server.inject({ kind: "error", code: 401, message: `the key ${TEST_KEY} is not valid` });
    const error = await failure(harness);
    harness.server.inject({ kind: "hang" });
    const timeout = await failure(harness);
    expect(harness.server.requests.length).toBeGreaterThan(3);
    for (const request of harness.server.requests) {
      expect(request.headerKey).toBe(TEST_KEY);
      expect(request.url).not.toContain(TEST_KEY);
      expect(request.query.apikey).toBeUndefined();
    }
    const logged = JSON.stringify(harness.logger.lines);
    expect(logged.length).toBeGreaterThan(10);
    expect(logged).not.toContain(TEST_KEY);
    for (const shown of [error, timeout]) {
      expect(shown.message).not.toContain(TEST_KEY);
      expect(JSON.stringify(shown.context)).not.toContain(TEST_KEY);
    }
    expect(error.message).toContain("the key *** is not valid");
  });
});
