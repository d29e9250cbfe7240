import { testSource } from "@qicore/core/testing";
import { afterAll } from "vitest";
import { createManualClock } from "./clock";
import { CreditBudgets } from "./credit-budget";
import { createTwelveDataSource } from "./source";
import { type FakeTwelveData, startFakeTwelveData } from "./testing/fake-twelvedata";

// The core's conformance suite, against the Twelve Data stand-in. The clock stands still, so two
// reads see the same data and the suite's replay check compares like with like.
const clock = createManualClock(Date.parse("2024-03-12T15:00:10Z"));
let server: FakeTwelveData | undefined;

afterAll(async () => {
  await server?.close();
});

testSource({
  adapter: createTwelveDataSource({
    clock,
    budgets: new CreditBudgets(),
    env: { TWELVEDATA_API_KEY: "conformance-key" },
  }),
  prepare: async () => {
    server = await startFakeTwelveData({ clock, keys: { "conformance-key": "pro" } });
  },
  config: () => ({
    baseUrl: server?.url,
    plan: "pro",
    instruments: ["BTC/USD", "AAPL", "EUR/USD"],
    once: true,
    streams: {
      quotes: {},
      candles: { interval: "1h", outputsize: 10 },
      backfill: { interval: "1day", from: "2023-01-01", to: "2024-03-01" },
    },
  }),
  maxBatches: 20,
  // DSL methods take CoinGecko ids of configured pairs (BTC/USD is bitcoin) or Twelve Data symbols.
  dsl: {
    coinId: "bitcoin",
    timeframe: "4h",
    range: { start: new Date("2024-03-01T00:00:00Z"), end: new Date("2024-03-12T00:00:00Z") },
  },
});
