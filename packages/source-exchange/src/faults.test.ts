import { afterEach, describe, expect, it } from "vitest";
import { fullSeriesProblems, type StandInRun, startRun, tradeIds, until } from "../test-support/harness";
import {
  type ExchangeStandIn,
  type StandInExchange,
  type StandInOptions,
  startExchangeStandIn,
} from "./testing/stand-in";

// Every fault the issue lists, against the local stand-ins, through the pipeline runtime:
// after it, the written trades are the stand-in's full series (REST closed the gap), none
// twice, and the pipeline is still running. The market moves only when the test says.

let standIn: ExchangeStandIn | undefined;
let run: StandInRun | undefined;

afterEach(async () => {
  await run?.stop();
  await standIn?.close();
  run = undefined;
  standIn = undefined;
});

async function begin(exchange: StandInExchange, options: Partial<StandInOptions> = {}, config = {}) {
  standIn = await startExchangeStandIn({ exchange, tradesPerSecond: 0, ...options });
  run = await startRun(standIn, { staleAfter: "1500ms", ...config });
  // Trades before the subscription are nobody's: the series starts once the source listens.
  await until(() => (standIn as ExchangeStandIn).subscriptions() > 0, "the source subscribed");
  // A first few trades give the stream its watermark: a gap is only visible after one.
  const symbol = standIn.markets[0]?.symbol as string;
  standIn.advance(5);
  await until(() => tradeIds((run as StandInRun).written, symbol).length >= 5, "the first trades arrived");
  return { standIn, run };
}

/**
 * Plays a trade now and then (a live trade is what shows a gap to the source) until every
 * trade up to the current position is written, then checks them against the full series.
 */
async function caughtUp() {
  const live = standIn as ExchangeStandIn;
  const market = live.markets[0]?.symbol as string;
  const target = live.position(market);
  let ticks = 0;
  await until(
    () => {
      if (++ticks % 5 === 0) live.advance(1);
      const ids = new Set(tradeIds((run as StandInRun).written, market));
      for (let id = 1; id <= target; id++) if (!ids.has(id)) return false;
      return true;
    },
    "every trade was written",
    10_000,
  ).catch(() => undefined);
  expect(fullSeriesProblems((run as StandInRun).written, live, target)).toEqual([]);
  const all = tradeIds((run as StandInRun).written, market);
  expect(new Set(all).size).toBe(all.length);
  expect((run as StandInRun).pipeline.health().live).toBe(true);
}

describe.each(["binance", "coinbase", "kraken"] as const)("%s stand-in", (exchange) => {
  it("loses nothing when every connection is dropped, and reconnects", async () => {
    const { standIn, run } = await begin(exchange);
    standIn.advance(40);
    standIn.inject({ kind: "drop" });
    standIn.advance(60); // while the source is reconnecting: only REST has these
    await until(
      () => standIn.stats.open > 0 && run.reader().stats().reconnects > 0,
      "the source reconnected",
    );
    standIn.advance(30);
    await caughtUp();
    expect(run.reader().stats().gapsFilled).toBeGreaterThan(0);
  });

  it("fills a missed sequence of trades over REST", async () => {
    const { standIn, run } = await begin(exchange);
    standIn.advance(10);
    standIn.inject({ kind: "skip", trades: 25 });
    standIn.advance(40);
    await caughtUp();
    expect(run.reader().stats().recordsFetchedOverRest).toBeGreaterThanOrEqual(25);
  });

  it("reconnects a silent (stale) connection", async () => {
    const { standIn, run } = await begin(exchange);
    const connections = standIn.stats.connections;
    standIn.inject({ kind: "silence" });
    standIn.advance(20);
    await until(() => standIn.stats.connections > connections, "the source opened a new connection");
    standIn.heal();
    expect(run.reader().stats().staleConnections).toBeGreaterThan(0);
    standIn.advance(20);
    await caughtUp();
  });

  it("drops malformed and truncated frames and keeps going", async () => {
    const { standIn, run } = await begin(exchange);
    standIn.inject({ kind: "malformed" });
    standIn.advance(10);
    standIn.inject({ kind: "truncated" });
    standIn.advance(10);
    await caughtUp();
    expect(run.reader().stats().malformedFrames).toBe(2);
  });

  it("fails the run with a clear error when the exchange refuses the subscription", async () => {
    standIn = await startExchangeStandIn({ exchange, tradesPerSecond: 0 });
    standIn.inject({ kind: "refuse-subscriptions" });
    run = await startRun(standIn, {});
    const summary = await run.pipeline.done;
    expect(summary.error?.message).toMatch(new RegExp(`${exchange} refused the subscription`));
    expect(summary.error?.code).toBe("EXCHANGE_SUBSCRIPTION_REFUSED");
  });
});

describe("connection limits", () => {
  it("survives the exchange's own close at the connection age limit (Binance's 24 hours, scaled down)", async () => {
    const { standIn, run } = await begin("binance", { maxConnectionAgeMs: 300 });
    for (let round = 0; round < 5; round++) {
      standIn.advance(20);
      await new Promise((resolve) => setTimeout(resolve, 80));
    }
    await until(
      () => standIn.stats.closedForAge >= 2 && run.reader().stats().reconnects >= 2,
      "the stand-in closed connections for age and the source reconnected",
    );
    await caughtUp();
  });

  it("reconnects on its own before the exchange would (maxConnectionAge)", async () => {
    const { standIn, run } = await begin("binance", {}, { maxConnectionAge: "250ms" });
    for (let round = 0; round < 5; round++) {
      standIn.advance(20);
      await new Promise((resolve) => setTimeout(resolve, 80));
    }
    await until(
      () => standIn.stats.connections >= 3 && run.reader().stats().reconnects >= 2,
      "the source renewed its connection",
    );
    expect(standIn.stats.closedForAge).toBe(0);
    await caughtUp();
  });

  it("reconnects when pings go unanswered and nothing else arrives (Kraken's ping)", async () => {
    const { standIn } = await begin("kraken", {}, { pingEvery: "100ms" });
    const connections = standIn.stats.connections;
    standIn.inject({ kind: "ignore-pings" });
    standIn.inject({ kind: "silence" });
    await until(() => standIn.stats.connections > connections, "the source gave up on the connection");
    standIn.heal();
    standIn.advance(10);
    await caughtUp();
  });
});
