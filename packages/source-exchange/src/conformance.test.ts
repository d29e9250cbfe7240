import { testSource } from "@qicore/core/testing";
import { afterAll } from "vitest";
import { frozenClock } from "./clock";
import { createExchangeSource } from "./source";
import { type ExchangeStandIn, startExchangeStandIn } from "./testing/stand-in";

// The core's conformance suite against the Binance stand-in. The clock stands still, so a
// trade read live and the same trade fetched over REST after resuming from a checkpoint
// are the same record (same receive time), which the suite's replay check compares.
let standIn: ExchangeStandIn | undefined;

afterAll(async () => {
  await standIn?.close();
});

testSource({
  adapter: createExchangeSource({ clock: frozenClock(Date.now()) }),
  prepare: async () => {
    standIn = await startExchangeStandIn({ exchange: "binance", tradesPerSecond: 400 });
  },
  config: () => ({
    exchange: "binance",
    symbols: ["BTCUSDT"],
    channels: ["trades"],
    websocketUrl: standIn?.websocketUrl,
    restUrl: standIn?.restUrl,
    batchSize: 5,
  }),
  maxBatches: 12,
  dsl: { coinId: "bitcoin", timeframe: "1m" },
});
