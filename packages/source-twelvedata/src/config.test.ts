import { parseAdapterConfig, QiError } from "@qicore/core";
import { createMemoryLogger } from "@qicore/core/testing";
import { describe, expect, it } from "vitest";
import { twelvedataConfigSchema } from "./config";
import { CreditBudgets } from "./credit-budget";
import { createTwelveDataSource, twelvedataSource } from "./source";

const problems = (input: unknown) => {
  const parsed = twelvedataConfigSchema.safeParse(input);
  return parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
};

describe("config", () => {
  it("defaults: the free plan, quotes only, 120 symbols a request", () => {
    const config = twelvedataConfigSchema.parse({ instruments: ["AAPL"] });
    expect(config).toMatchObject({
      plan: "basic",
      streams: { quotes: { endpoint: "quote" } },
      symbolsPerRequest: 120,
      retries: 3,
      timeout: 15_000,
    });
    expect(config.instruments).toEqual([{ symbol: "AAPL" }]);
  });

  it("says what is wrong, with its path", () => {
    expect(problems({})).toEqual([
      "streams.quotes.instruments: the quotes stream needs instruments: give streams.quotes.instruments or instruments",
    ]);
    expect(problems({ instruments: ["SBIN:NSE"] })[0]).toContain("give the exchange as `exchange`");
    expect(problems({ instruments: ["AAPL"], streams: { candles: { interval: "1mo" } } })[0]).toContain(
      "an interval Twelve Data has: 1min, 5min, 15min, 30min, 45min, 1h, 2h, 4h, 8h, 1day, 1week, 1month",
    );
    expect(problems({ instruments: ["AAPL"], streams: { candles: { interval: "1month" } } })).toEqual([]);
    expect(
      problems({ instruments: ["AAPL"], streams: { backfill: { from: "2024-02-01", to: "2024-01-01" } } })[0],
    ).toContain("streams.backfill.to must be after streams.backfill.from");
    expect(problems({ instruments: [{ symbol: "AAPL", micCode: "NASDAQ" }] })[0]).toContain(
      "market identifier code",
    );
  });

  it("pipeline files are checked the same way (parseAdapterConfig)", () => {
    const result = parseAdapterConfig(twelvedataSource, { instruments: ["AAPL"], unknown: true });
    expect(result.ok).toBe(false);
  });

  it("without a key the source refuses to start, naming TWELVEDATA_API_KEY", async () => {
    const definition = createTwelveDataSource({ env: {}, budgets: new CreditBudgets() });
    const create = async () =>
      definition.create(twelvedataConfigSchema.parse({ instruments: ["AAPL"] }), {
        id: "td",
        pipelineName: "test",
        logger: createMemoryLogger(),
        baseDir: process.cwd(),
        signal: new AbortController().signal,
      });
    const error = await create().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(QiError.isInstance(error) && error.code).toBe("CONFIG_INVALID");
    expect((error as Error).message).toContain("TWELVEDATA_API_KEY");
  });
});
