import { testSource } from "@qicore/core/testing";
import { afterAll } from "vitest";
import { createManualClock } from "./clock";
import { RateBudgets } from "./rate-budget";
import { createCoinGeckoSource } from "./source";
import { type FakeCoinGecko, startFakeCoinGecko } from "./testing/fake-coingecko";

// The core's conformance suite, against the fake CoinGecko. The clock stands still, so two
// reads see the same data and the suite's replay check compares like with like.
const clock = createManualClock(Date.parse("2026-05-18T12:00:10Z"));
let server: FakeCoinGecko | undefined;

afterAll(async () => {
  await server?.close();
});

testSource({
  adapter: createCoinGeckoSource({ clock, budgets: new RateBudgets(), env: {} }),
  prepare: async () => {
    server = await startFakeCoinGecko({ clock });
  },
  config: () => ({
    baseUrl: server?.url,
    coins: ["bitcoin", "ethereum"],
    once: true,
    callsPerMinute: 10_000,
    streams: {
      prices: {},
      ohlcv: { days: 1 },
      analytics: {},
      history: { from: "2026-03-01", to: "2026-05-01", granularity: "daily" },
    },
  }),
  maxBatches: 20,
  // CoinGecko's candle widths, and a range the manual clock's data covers.
  dsl: {
    coinId: "bitcoin",
    timeframe: "4h",
    range: { start: new Date("2026-05-11T00:00:00Z"), end: new Date("2026-05-18T12:00:00Z") },
  },
});
