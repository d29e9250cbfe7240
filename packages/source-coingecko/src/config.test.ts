import { QiError } from "@qicore/core";
import { createMemoryLogger } from "@qicore/core/testing";
import { describe, expect, it } from "vitest";
import { createManualClock } from "./clock";
import { type CoinGeckoConfigInput, coingeckoConfigSchema } from "./config";
import { resolvePlan } from "./plans";
import { RateBudgets } from "./rate-budget";
import { createCoinGeckoSource } from "./source";

function problems(input: unknown): { path: string; message: string }[] {
  const parsed = coingeckoConfigSchema.safeParse(input);
  return parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
}

describe("config schema", () => {
  it("fills in defaults: prices only, usd, not once, 10 s timeout, 3 retries, progress on terminals", () => {
    expect(coingeckoConfigSchema.parse({ coins: ["bitcoin"] })).toEqual({
      coins: ["bitcoin"],
      vsCurrency: "usd",
      streams: { prices: {} },
      once: false,
      timeout: 10_000,
      retries: 3,
      progress: "auto",
    });
  });

  it("reads the streams given, with their defaults filled in", () => {
    const config = coingeckoConfigSchema.parse({
      coins: ["bitcoin"],
      streams: {
        prices: { every: "30s" },
        ohlcv: { days: 7 },
        analytics: {},
        history: { from: "2025-01-01", to: "2025-02-01T12:00:00Z", granularity: "daily" },
      },
    });
    expect(config.streams).toEqual({
      prices: { every: 30_000 },
      ohlcv: { days: "7", every: 900_000 },
      analytics: {},
      history: {
        from: Date.parse("2025-01-01T00:00:00Z"),
        to: Date.parse("2025-02-01T12:00:00Z"),
        granularity: "daily",
        requestsPerRead: 5,
      },
    });
  });

  it("names every mistake with its path", () => {
    expect(
      problems({
        topN: 0,
        vsCurrency: "eur",
        streams: { prices: {}, ohlcv: { days: 3, dayz: 1 }, history: {} },
        timeout: "soon",
        plan: "enterprise",
      }),
    ).toEqual(
      expect.arrayContaining([
        { path: "topN", message: expect.stringContaining(">=1") },
        { path: "vsCurrency", message: "records hold US dollar prices (usdPrice): vsCurrency must be usd" },
        { path: "streams.ohlcv.days", message: "days is one of 1, 7, 14, 30, 90, 180, 365, max" },
        { path: "streams.ohlcv", message: expect.stringContaining('"dayz"') },
        { path: "streams.history.from", message: expect.stringContaining("expected a date (2024-01-01)") },
        { path: "timeout", message: 'expected a duration such as 30s, 15m or 1h, got "soon"' },
        { path: "plan", message: expect.stringContaining('"public"') },
      ]),
    );
  });

  it("checks fields against each other", () => {
    expect(problems({ streams: { prices: {} } })).toEqual([
      { path: "coins", message: expect.stringContaining("needs `coins` (a list of coin ids) or `topN`") },
    ]);
    expect(problems({ coins: ["bitcoin"], topN: 10 })).toEqual([
      { path: "topN", message: expect.stringContaining("not both") },
    ]);
    expect(problems({ topN: 10, streams: { prices: {}, ohlcv: {} } })).toEqual([
      {
        path: "streams.ohlcv.coins",
        message: "the ohlcv stream needs coin ids: give streams.ohlcv.coins or coins",
      },
    ]);
    expect(
      problems({ coins: ["bitcoin"], streams: { history: { from: "2025-02-01", to: "2025-01-01" } } }),
    ).toEqual([
      { path: "streams.history.to", message: "streams.history.to must be after streams.history.from" },
    ]);
    expect(problems({ coins: ["bitcoin"], plan: "public", apiKey: "CG-x" })).toEqual([
      { path: "apiKey", message: expect.stringContaining("plan public sends no key") },
    ]);
    expect(problems({ coins: ["Bitcoin"] })[0]?.message).toContain("a CoinGecko coin id");
  });

  it("refuses paid-only options on an explicit free plan", () => {
    const found = problems({
      coins: ["bitcoin"],
      plan: "demo",
      streams: { ohlcv: { days: "max", interval: "daily" }, ohlcvHistory: { from: "2025-01-01" } },
    });
    expect(found.map((problem) => problem.path)).toEqual([
      "streams.ohlcv.interval",
      "streams.ohlcv.days",
      "streams.ohlcvHistory",
    ]);
    expect(found[0]?.message).toContain("is for paid plans (plan demo would get error 10005)");
  });
});

describe("plan and key resolution", () => {
  it("takes the key from config first, then the plan's variables, then COINGECKO_API_KEY", () => {
    const env = { COINGECKO_DEMO_API_KEY: "demo-env", COINGECKO_API_KEY: "generic" };
    expect(resolvePlan("demo", "from-config", env)).toEqual({
      plan: "demo",
      apiKey: "from-config",
      keySource: "config",
    });
    expect(resolvePlan("demo", undefined, env)).toEqual({
      plan: "demo",
      apiKey: "demo-env",
      keySource: "COINGECKO_DEMO_API_KEY",
    });
    expect(resolvePlan("pro", undefined, env)).toEqual({
      plan: "pro",
      apiKey: "generic",
      keySource: "COINGECKO_API_KEY",
    });
    expect(resolvePlan("public", "ignored", env)).toEqual({
      plan: "public",
      apiKey: undefined,
      keySource: undefined,
    });
  });

  it("infers the plan without one: a Pro variable → pro, any other key → demo, none → public", () => {
    expect(
      resolvePlan(undefined, undefined, { COINGECKO_PRO_API_KEY: "p", COINGECKO_API_KEY: "g" }).plan,
    ).toBe("pro");
    expect(resolvePlan(undefined, undefined, { COINGECKO_API_KEY: "g" })).toMatchObject({
      plan: "demo",
      apiKey: "g",
    });
    expect(resolvePlan(undefined, "k", {})).toMatchObject({ plan: "demo", keySource: "config" });
    expect(resolvePlan(undefined, undefined, { COINGECKO_API_KEY: "  " }).plan).toBe("public");
  });
});

describe("create() checks what needs the environment and the time", () => {
  const clock = createManualClock(Date.parse("2026-06-01T00:00:00Z"));
  const create = (config: CoinGeckoConfigInput, env: Record<string, string> = {}) =>
    Promise.resolve()
      .then(() =>
        createCoinGeckoSource({ clock, env, budgets: new RateBudgets() }).create(
          coingeckoConfigSchema.parse(config),
          {
            id: "cg",
            pipelineName: "test",
            logger: createMemoryLogger(),
            baseDir: ".",
            signal: new AbortController().signal,
          },
        ),
      )
      .then(
        () => undefined,
        (thrown: unknown) => thrown as QiError,
      );

  it("a keyed plan without a key names the variables to set", async () => {
    const error = await create({ coins: ["bitcoin"], plan: "demo" });
    expect(QiError.isInstance(error) && error.code).toBe("CONFIG_INVALID");
    expect(error?.message).toContain(
      "plan demo needs an API key: set apiKey or COINGECKO_DEMO_API_KEY or COINGECKO_API_KEY, or use plan: public",
    );
  });

  it("paid-only options are refused once the environment shows a free plan, and accepted with a Pro key", async () => {
    const config = { coins: ["bitcoin"], streams: { ohlcv: { interval: "hourly" as const } } };
    const error = await create(config, { COINGECKO_API_KEY: "demo-key" });
    expect(error?.message).toContain("streams.ohlcv.interval is for paid plans (plan demo");
    expect(await create(config, { COINGECKO_PRO_API_KEY: "pro-key" })).toBeUndefined();
  });

  it("history older than 365 days on a free plan is refused with the first day it may start", async () => {
    const error = await create({ coins: ["bitcoin"], streams: { history: { from: "2025-01-01" } } });
    expect(error?.message).toContain("streams.history.from (2025-01-01) is more than 365 days ago");
    expect(error?.message).toContain("start on or after 2025-06-02, or use a paid key with plan: pro");
    expect(
      await create({ coins: ["bitcoin"], streams: { history: { from: "2025-07-01" } } }),
    ).toBeUndefined();
  });
});
