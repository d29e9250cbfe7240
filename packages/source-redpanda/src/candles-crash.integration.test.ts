/**
 * Crash tests of a stateful pipeline, with real parts: trades on a Kafka topic → the `candles`
 * processor (1m and 5m) → TimescaleDB, run by `qicore run` from a YAML file in a child process
 * and SIGKILLed while it works. The candles it ends with must be exactly those of one run that
 * was never interrupted (every column compared), which holds only if no checkpoint ever passed
 * trades of a bucket whose final candle was not written yet, and a restart never writes a
 * candle of a bucket it saw only part of.
 */
import { join } from "node:path";
import type { CryptoTrade } from "@qicore/core";
import { createRedpandaTarget } from "@qicore/target-redpanda";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireKafkaBrokers, requireTimescaleUrl } from "../../../test/services";
import {
  candleColumns,
  candleCount,
  candleDifferences,
  candlesPipelineYaml,
  hasCandle,
  hasCheckpoint,
} from "../test-support/candles-pipeline";
import { waitUntil } from "../test-support/processes";
import { type QicoreRun, startQicoreRun, writeYamlPipeline } from "../test-support/qicore-cli";
import { bucketCount, closingTrades, tradeStream } from "../test-support/trades";

const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const MINUTE = 60_000;
/** A Monday 00:00 UTC: buckets of every width start on it. */
const START = Date.UTC(2024, 0, 1);

let database: pg.Client;
const schemas: string[] = [];

beforeAll(async () => {
  database = new pg.Client({ connectionString: requireTimescaleUrl() });
  await database.connect();
});

afterAll(async () => {
  for (const schema of schemas)
    await database?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await database?.end();
});

async function produce(topic: string, trades: readonly CryptoTrade[]): Promise<void> {
  // Keyed by instrument (the trade kind's key): a market's trades stay in order on one partition.
  // Small produce requests, as a live stream sends them: a fetch returns whole record batches,
  // so the pipeline then reads many small batches, not one per partition.
  const target = createRedpandaTarget({
    brokers: requireKafkaBrokers(),
    topics: { trade: topic },
    partitions: 6,
    batchMessages: 60,
  });
  expect(await target.write("trade", [...trades])).toEqual({});
  await target.disconnect();
}

/** A pipeline file of its own (schema, consumer group, dead letters) for one run of a topic. */
function pipelineFile(label: string, topic: string): { file: string; schema: string } {
  const schema = `candles_${label.replaceAll("-", "_")}_${run}`;
  schemas.push(schema);
  const file = writeYamlPipeline(
    candlesPipelineYaml({
      name: `candles-crash-${label}-${run}`,
      brokers: requireKafkaBrokers(),
      topic,
      groupId: `test.candles-crash.${label}.${run}`,
      databaseUrl: requireTimescaleUrl(),
      schema,
      deadLetterPath: join("/tmp", `qicore-candles-crash-${label}-${run}.jsonl`),
    }),
  );
  return { file, schema };
}

/**
 * Waits until the run has written `expected` candles (every bucket but the closing trades'
 * own), then stops it gracefully: it writes what it read and exits 0.
 */
async function finish(process: QicoreRun, schema: string, expected: number): Promise<void> {
  await waitUntil(
    async () => (await candleCount(database, schema)) >= expected || process.child.exitCode !== null,
    150_000,
    `${expected} candles in ${schema}`,
  );
  expect(process.child.exitCode, process.output().slice(-3000)).toBeNull();
  process.child.kill("SIGTERM");
  const exit = await process.exited;
  expect(exit.code, process.output().slice(-3000)).toBe(0);
}

/**
 * What a failure needs to be understood from a CI log: per run, where it resumed, how often its
 * consumer was assigned partitions, moved them or restarted, and what it warned of.
 */
function runDigest(label: string, run: QicoreRun): string {
  const telling =
    /resuming from checkpoint|partitions assigned|moving partition|consumer stopped|read failed|commit|saving|late|"level":"(warn|error)"/;
  const lines = run
    .output()
    .split("\n")
    .filter((line) => telling.test(line))
    .map((line) => line.slice(0, 600));
  return `${label}:\n${lines.join("\n") || "(nothing of note)"}`;
}

/** Both runs wrote the same candles, `expected` of them, compared column by column. */
async function expectSameCandles(
  schema: string,
  reference: string,
  expected: number,
  story = "",
): Promise<void> {
  const columns = await candleColumns(database, schema);
  expect(columns).toEqual(
    expect.arrayContaining([
      "exchange_id",
      "instrument",
      "quote",
      "timeframe",
      "timestamp",
      "open",
      "high",
      "low",
      "close",
      "volume",
      "trade_count",
      "is_final",
      "filled",
    ]),
  );
  expect(await candleColumns(database, reference)).toEqual(columns);
  expect(await candleCount(database, reference)).toBe(expected);
  expect(await candleCount(database, schema)).toBe(expected);
  expect(await candleDifferences(database, schema, reference), story).toEqual([]);
}

describe("crash test: Kafka trades → candles → TimescaleDB, `qicore run` SIGKILLed", () => {
  it("writes exactly the candles of an uninterrupted run through three SIGKILLs at random points", async () => {
    const topic = `test.candles-crash.${run}.trades`;
    // 8 markets, a trade every 500 ms for 50 minutes each: 48,000 trades.
    const trades = tradeStream({ markets: 8, startMs: START, perMarket: 6_000, stepMs: 500, seed: 15 });
    const expected = bucketCount(trades, MINUTE) + bucketCount(trades, 5 * MINUTE);
    expect(expected).toBe(8 * (50 + 10));
    await produce(topic, [...trades, ...closingTrades(trades, 60 * MINUTE)]);

    const reference = pipelineFile("reference", topic);
    const crashed = pipelineFile("killed", topic);
    // The uninterrupted run goes on beside the killed ones (its own group and schema).
    const uninterrupted = startQicoreRun(reference.file);

    const kills: { after: number; at: number; signal: string | null }[] = [];
    const runs: [string, QicoreRun][] = [["uninterrupted", uninterrupted]];
    for (let kill = 0; kill < 3; kill++) {
      // A random point in what is left: 15% to 40% of the candles still to write.
      const before = await candleCount(database, crashed.schema);
      const after = before + Math.ceil((expected - before) * (0.15 + Math.random() * 0.25));
      const process = startQicoreRun(crashed.file);
      runs.push([`killed run ${kill + 1}`, process]);
      await waitUntil(
        async () => (await candleCount(database, crashed.schema)) >= after || process.child.exitCode !== null,
        150_000,
        `${after} candles`,
      );
      process.child.kill("SIGKILL");
      const exit = await process.exited;
      const at = await candleCount(database, crashed.schema);
      kills.push({ after, at, signal: exit.signal });
      // Each run made progress, and was killed before it had written everything.
      expect(at, process.output().slice(-3000)).toBeGreaterThan(before);
      expect(at, JSON.stringify(kills)).toBeLessThan(expected);
    }
    expect(kills.map((kill) => kill.signal)).toEqual(["SIGKILL", "SIGKILL", "SIGKILL"]);

    const last = startQicoreRun(crashed.file);
    runs.push(["last run", last]);
    await finish(last, crashed.schema, expected);
    await finish(uninterrupted, reference.schema, expected);
    const story = [`kills: ${JSON.stringify(kills)}`, ...runs.map(([label, run]) => runDigest(label, run))];
    await expectSameCandles(crashed.schema, reference.schema, expected, story.join("\n\n"));
  }, 300_000);

  it("writes the final candle of a bucket it was killed in (trades read, candle not written) as an uninterrupted run does", async () => {
    const topic = `test.candles-crash.${run}.mid-bucket`;
    // 6 markets, a trade every second for 20 minutes each.
    const trades = tradeStream({ markets: 6, startMs: START, perMarket: 1_200, stepMs: 1_000, seed: 51 });
    const expected = bucketCount(trades, MINUTE) + bucketCount(trades, 5 * MINUTE);
    expect(expected).toBe(6 * (20 + 4));
    // At first the topic ends at 12:30 into the 5m bucket of minute 10: the run reads its
    // trades, writes the 1m candles of minutes 10 and 11, and cannot close the 5m bucket.
    const cut = START + 12 * MINUTE + 30_000;
    const first = trades.filter((trade) => Date.parse(trade.timestamp) < cut);
    await produce(topic, first);

    const crashed = pipelineFile("mid-bucket", topic);
    const instruments = [...new Set(trades.map((trade) => trade.instrument))];
    const candle = (instrument: string, timeframe: string, minute: number) => ({
      instrument,
      timeframe,
      timestamp: new Date(START + minute * MINUTE).toISOString(),
    });
    const process = startQicoreRun(crashed.file);
    await waitUntil(
      async () => {
        if (process.child.exitCode !== null) return true;
        // Killed only once it has committed: the restart resumes inside the topic, not from its start.
        if (!(await hasCheckpoint(database, crashed.schema))) return false;
        for (const instrument of instruments)
          if (!(await hasCandle(database, crashed.schema, candle(instrument, "1m", 11)))) return false;
        return true;
      },
      150_000,
      "a checkpoint and the 1m candles of minute 11 of every market",
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${process.output().slice(-3000)}`);
    });
    expect(process.child.exitCode, process.output().slice(-3000)).toBeNull();
    process.child.kill("SIGKILL");
    expect((await process.exited).signal).toBe("SIGKILL");
    // Killed mid-bucket: the trades of the 5m bucket of minute 10 were read, its candle not written.
    expect(await hasCheckpoint(database, crashed.schema)).toBe(true);
    for (const instrument of instruments) {
      expect(await hasCandle(database, crashed.schema, candle(instrument, "1m", 10))).toBe(true);
      expect(await hasCandle(database, crashed.schema, candle(instrument, "5m", 10))).toBe(false);
    }

    await produce(topic, [...trades.slice(first.length), ...closingTrades(trades, 60 * MINUTE)]);
    const reference = pipelineFile("mid-bucket-reference", topic);
    const uninterrupted = startQicoreRun(reference.file);
    await finish(startQicoreRun(crashed.file), crashed.schema, expected);
    await finish(uninterrupted, reference.schema, expected);
    await expectSameCandles(crashed.schema, reference.schema, expected);
  }, 300_000);
});
