/**
 * Test helpers: a local stand-in for Twelve Data's API (documented shapes, credits per minute
 * and per day, 200-with-error answers, per-symbol errors, injectable faults), the fixtures it
 * serves, and clocks to run a day of polling in seconds.
 */

export { type Clock, createCompressedClock, createManualClock, systemClock } from "../clock";
export { type FixtureName, fixtureJson } from "../fixtures";
export {
  type FakeFault,
  type FakePlan,
  type FakeRequestRecord,
  type FakeTwelveData,
  type FakeTwelveDataOptions,
  startFakeTwelveData,
} from "./fake-twelvedata";
export { LISTINGS, type Listing } from "./market";
