import { testSource } from "@qicore/core/testing";
import { klinesSource } from "./klines-source";

testSource({
  adapter: klinesSource,
  config: { symbol: "BTCUSDT", from: "2026-01-01T00:00:00Z", candles: 30, batchSize: 7 },
  dsl: { coinId: "bitcoin", timeframe: "1h" },
});
