/**
 * Runs pipeline.offline.yaml with the `qicore` CLI (the built packages) against a local fake
 * CoinGecko into an embedded TimescaleDB-compatible database (PGlite in a folder), then reads
 * the rows back and checks them: prices, 30-minute candles stamped at their open time with no
 * volume, market analytics and a ten-day hourly history, each row attributed to CoinGecko. A
 * second run must resume: no history fetched again, no row written twice. Exits non-zero on
 * any mismatch. CI runs it (`pnpm examples`, after `pnpm build`); it needs no internet.
 */
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startFakeCoinGecko } from "@qicore/source-coingecko/testing";
import { createTimescaleReader } from "@qicore/target-timescale";

const here = dirname(fileURLToPath(import.meta.url));
const coreDir = dirname(createRequire(import.meta.url).resolve("@qicore/core/package.json"));
const qicore = join(coreDir, "dist/cli/bin.js");
const DAY = 86_400_000;
const HALF_HOUR = 1_800_000;

interface Summary {
  recordsIn: number;
  recordsOut: Record<string, number>;
  deadLetters: number;
  error?: { message: string };
}

const failures: string[] = [];
const expect = (condition: boolean, message: string) => condition || failures.push(message);

rmSync(join(here, ".qicore"), { recursive: true, force: true });
const server = await startFakeCoinGecko();
const today = Math.floor(Date.now() / DAY) * DAY;
const historyFrom = new Date(today - 10 * DAY);
const historyTo = new Date(today - 5 * DAY);
const env: NodeJS.ProcessEnv = {
  ...process.env,
  COINGECKO_BASE_URL: server.url,
  HISTORY_FROM: historyFrom.toISOString().slice(0, 10),
  HISTORY_TO: historyTo.toISOString().slice(0, 10),
};

// The fake server lives in this process, so the CLI runs as a child without blocking it.
async function runPipeline(): Promise<Summary> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [qicore, "run", "pipeline.offline.yaml", "--summary-json", "--log-level", "warn", "--no-progress"],
    { cwd: here, env, encoding: "utf8" },
  );
  return JSON.parse(stdout) as Summary;
}

const reader = createTimescaleReader({ connectionString: "embedded:.qicore/offline-db", baseDir: here });
try {
  const startedAt = Date.now();
  const first = await runPipeline();
  const finishedAt = Date.now();
  expect(first.error === undefined, `the first run failed: ${first.error?.message}`);
  expect(first.deadLetters === 0, `${first.deadLetters} records were dead-lettered`);
  expect(
    first.recordsOut.db === first.recordsIn,
    `read ${first.recordsIn} records but wrote ${first.recordsOut.db}`,
  );

  const history = await reader.getPriceHistory("bitcoin", historyFrom, historyTo);
  const points = history.ok ? history.value : [];
  expect(history.ok, `reading the history failed: ${history.ok ? "" : history.error.message}`);
  expect(points.length === 5 * 24, `expected 120 hourly bitcoin points, found ${points.length}`);
  expect(
    points.every(
      (point) => point.source === "coingecko" && point.attribution === "Data provided by CoinGecko",
    ),
    "history rows are not attributed to CoinGecko",
  );
  expect(
    points.every((point) => typeof point.usdPrice === "string"),
    "prices are not exact decimals",
  );

  const latest = await reader.getLatestPrices(["bitcoin", "ethereum"]);
  const prices = latest.ok ? latest.value : [];
  expect(prices.length === 2, `expected the latest price of 2 coins, found ${prices.length}`);
  for (const price of prices) {
    const age = startedAt - Date.parse(price.lastUpdated);
    expect(age < 2 * 60_000, `${price.coinId}'s latest price is ${age} ms old`);
    expect(
      price.exchangeId === "aggregate" && price.symbol !== "",
      `${price.coinId} has no symbol or exchange`,
    );
  }

  const ohlcv = await reader.getLatestOHLCV("ethereum", "30m", 100);
  const candles = ohlcv.ok ? ohlcv.value : [];
  expect(candles.length >= 46, `expected about 48 half-hour candles, found ${candles.length}`);
  expect(
    candles.every((candle) => candle.volume === null && Date.parse(candle.timestamp) % HALF_HOUR === 0),
    "candles must have no volume and start on a half hour",
  );
  const open = candles.at(-1);
  const openBuckets = [startedAt, finishedAt].map((time) => Math.floor(time / HALF_HOUR) * HALF_HOUR);
  expect(
    open !== undefined && !open.isFinal && openBuckets.includes(Date.parse(open.timestamp)),
    `the newest candle should be the open bucket, not final: ${JSON.stringify(open)}`,
  );
  expect(
    candles.slice(0, -1).every((candle) => candle.isFinal),
    "every candle but the newest should be final",
  );

  const analytics = await reader.getMarketAnalytics(
    new Date(startedAt - 3_600_000),
    new Date(finishedAt + 60_000),
  );
  const figures = analytics.ok ? analytics.value : [];
  expect(figures.length === 1, `expected one market analytics row, found ${figures.length}`);
  expect(figures[0]?.activeCryptocurrencies === 17397, "market analytics do not match /global");

  // A second run resumes from the checkpoint stored in the database.
  const historyRequests = () =>
    server.requests.filter((request) => request.path.endsWith("/market_chart/range"));
  const before = historyRequests().length;
  const second = await runPipeline();
  expect(second.error === undefined, `the second run failed: ${second.error?.message}`);
  expect(historyRequests().length === before, "the second run fetched the history again");
  // Fresh records only: at most each coin's price and the analytics (they change once a minute),
  // and per coin the open candle and every candle that closed between the runs' OHLC calls (a run
  // that straddles a half hour sees the old open bucket final and a new one open).
  const ohlcCalls = server.requests.filter((request) => request.path.endsWith("/ohlc"));
  const bucketOf = (request: { time: number } | undefined) => Math.floor((request?.time ?? 0) / HALF_HOUR);
  const closedBetween = bucketOf(ohlcCalls.at(-1)) - bucketOf(ohlcCalls.at(0));
  const freshAtMost = 2 + 1 + 2 * (1 + closedBetween);
  expect(
    second.recordsIn <= freshAtMost,
    `the second run read ${second.recordsIn} records; only fresh ones were expected (at most ${freshAtMost})`,
  );
  const again = await reader.getPriceHistory("bitcoin", historyFrom, historyTo);
  expect(again.ok && again.value.length === 120, "the second run changed the history");

  if (failures.length > 0) {
    console.error(`coingecko-to-timescale example FAILED:\n- ${failures.join("\n- ")}`);
    process.exitCode = 1;
  } else {
    console.log(
      `coingecko-to-timescale example: ${first.recordsIn} records (prices, ${candles.length} ethereum candles, analytics, 2 × 120 history points) written and read back; the second run resumed (${second.recordsIn} new) — OK`,
    );
  }
} finally {
  await reader.close();
  await server.close();
}
