/**
 * Test helpers: a local fake of CoinGecko's API (documented shapes, key rules, rate
 * limits, injectable faults), the fixtures it serves, and clocks to run polling fast.
 */

export { type Clock, createCompressedClock, createManualClock, systemClock } from "../clock";
export { type FixtureName, fixtureJson, fixtureText } from "../fixtures";
export {
  type FakeCoinGecko,
  type FakeCoinGeckoOptions,
  type FakeFault,
  type FakeKeyPlan,
  type FakeRequestRecord,
  startFakeCoinGecko,
} from "./fake-coingecko";
