/**
 * Runs pipeline.offline.yaml with the `qicore` CLI (the built packages) against the local
 * Twelve Data stand-in into TimescaleDB (DATABASE_URL, else the test services'
 * QICORE_TEST_TIMESCALE_URL), in a schema of its own, then reads the rows back and checks
 * them: daily candles of two stocks (opening at New York's midnight, in UTC, with volume) and
 * two currency pairs (opening at UTC midnight, without volume), hourly candles, and quotes, each
 * with its venue, quote currency and asset class; monthly candles of VOD on two markets, read
 * back through target-timescale's reader by instrument and venue (stocks have no coin id), each
 * opening at its market's midnight of the 1st. A second run must resume: no backfill window
 * fetched again, no row written twice. Exits non-zero on any mismatch; needs no internet.
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startFakeTwelveData } from "@qicore/source-twelvedata/testing";
import { createTimescaleReader } from "@qicore/target-timescale";
import pg from "pg";

const here = dirname(fileURLToPath(import.meta.url));
const coreDir = dirname(createRequire(import.meta.url).resolve("@qicore/core/package.json"));
const qicore = join(coreDir, "dist/cli/bin.js");
const DAY = 86_400_000;
const KEY = "offline-example-key";

const databaseUrl = process.env.DATABASE_URL ?? process.env.QICORE_TEST_TIMESCALE_URL;
if (!databaseUrl) {
  console.error(
    'twelvedata-to-timescale example: set DATABASE_URL (or start the test services: bash scripts/services.sh up && eval "$(bash scripts/services.sh env)")',
  );
  process.exit(1);
}

interface Summary {
  recordsIn: number;
  recordsOut: Record<string, number>;
  deadLetters: number;
  error?: { message: string };
}

const failures: string[] = [];
const expect = (condition: boolean, message: string) => condition || failures.push(message);

const schema = `twelvedata_example_${process.pid}_${Date.now() % 1_000_000}`;
const server = await startFakeTwelveData({ keys: { [KEY]: "grow" } });
const today = Math.floor(Date.now() / DAY) * DAY;
const historyFrom = new Date(today - 40 * DAY);
const historyTo = new Date(today - 10 * DAY);
const env: NodeJS.ProcessEnv = {
  ...process.env,
  TWELVEDATA_API_KEY: KEY,
  TWELVEDATA_BASE_URL: server.url,
  DATABASE_URL: databaseUrl,
  DATABASE_SCHEMA: schema,
  HISTORY_FROM: historyFrom.toISOString().slice(0, 10),
  HISTORY_TO: historyTo.toISOString().slice(0, 10),
};

// The stand-in lives in this process, so the CLI runs as a child without blocking it.
async function runPipeline(): Promise<Summary> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [qicore, "run", "pipeline.offline.yaml", "--summary-json", "--log-level", "warn", "--no-progress"],
    { cwd: here, env, encoding: "utf8" },
  );
  return JSON.parse(stdout) as Summary;
}

const client = new pg.Client({ connectionString: databaseUrl });
await client.connect();
const rows = async (sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows;
const candles = (instrument: string, timeframe: string) =>
  rows(
    `SELECT exchange_id, quote, asset_class, to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI') AS open,
       volume::text AS volume, is_final, close::text AS close
     FROM "${schema}".crypto_ohlcv WHERE instrument = $1 AND timeframe = $2 ORDER BY "timestamp"`,
    [instrument, timeframe],
  );

/** Weekdays in [from, to): the trading days of the stand-in's stocks and currency pairs. */
function weekdays(from: Date, to: Date): number {
  let count = 0;
  for (let day = from.getTime(); day < to.getTime(); day += DAY)
    if (![0, 6].includes(new Date(day).getUTCDay())) count++;
  return count;
}

try {
  const first = await runPipeline();
  expect(first.error === undefined, `the first run failed: ${first.error?.message}`);
  expect(first.deadLetters === 0, `${first.deadLetters} records were dead-lettered`);
  expect(
    first.recordsOut.db === first.recordsIn,
    `read ${first.recordsIn} records but wrote ${first.recordsOut.db}`,
  );

  const days = weekdays(historyFrom, historyTo);
  const aaplDaily = await candles("AAPL", "1d");
  expect(aaplDaily.length === days, `expected ${days} daily AAPL candles, found ${aaplDaily.length}`);
  expect(
    aaplDaily.every(
      (row) => row.exchange_id === "xnas" && row.quote === "USD" && row.asset_class === "equity",
    ),
    "AAPL candles should be on xnas, in USD, equity",
  );
  expect(
    aaplDaily.every((row) => /T0[45]:00$/.test(row.open) && row.volume !== null && row.is_final),
    `AAPL days must open at New York's midnight (04:00 or 05:00 UTC), with volume, final: ${JSON.stringify(aaplDaily[0])}`,
  );
  const eurDaily = await candles("EUR/USD", "1d");
  expect(eurDaily.length === days, `expected ${days} daily EUR/USD candles, found ${eurDaily.length}`);
  expect(
    eurDaily.every(
      (row) =>
        row.exchange_id === "aggregate" &&
        row.asset_class === "forex" &&
        row.volume === null &&
        row.open.endsWith("T00:00"),
    ),
    `EUR/USD days must open at 00:00 UTC without volume: ${JSON.stringify(eurDaily[0])}`,
  );
  expect((await candles("MSFT", "1d")).length === days, "MSFT's daily candles are missing");
  expect((await candles("GBP/USD", "1d")).length === days, "GBP/USD's daily candles are missing");
  expect(
    // NUMERIC(30,12) pads with zeros; the digits themselves are Twelve Data's five places, exactly.
    aaplDaily.every((row) => /^\d+\.\d{5}0{7}$/.test(row.close)),
    `candle prices must keep Twelve Data's decimals exactly: ${aaplDaily[0]?.close}`,
  );

  const hourly = await candles("AAPL", "1h");
  expect(
    hourly.length > 0 && hourly.length <= 24,
    `expected up to 24 hourly AAPL candles, found ${hourly.length}`,
  );
  expect(
    hourly.every((row) => row.open.endsWith(":30")),
    "AAPL's hours open at half past (09:30 New York)",
  );
  const eurHourly = await candles("EUR/USD", "1h");
  expect(
    eurHourly.length > 0 && eurHourly.every((row) => row.open.endsWith(":00") && row.volume === null),
    "EUR/USD's hours open on the hour, without volume",
  );

  // Monthly candles through the reader, by instrument and venue: one symbol, two markets.
  const reader = createTimescaleReader({ connectionString: databaseUrl, schema });
  const localOpen = (timestamp: string, zone: string) =>
    new Intl.DateTimeFormat("en-GB", {
      timeZone: zone,
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).format(new Date(timestamp));
  for (const [exchangeId, zone, quote] of [
    ["xlon", "Europe/London", "GBX"],
    ["xngs", "America/New_York", "USD"],
  ] as const) {
    const read = await reader.getCandles("VOD", "1mo", new Date(0), new Date(today + 40 * DAY), {
      exchangeId,
    });
    if (!read.ok) {
      failures.push(`reading VOD's monthly candles on ${exchangeId}: ${read.error.message}`);
      continue;
    }
    const months = read.value;
    expect(months.length === 3, `expected 3 monthly VOD candles on ${exchangeId}, found ${months.length}`);
    expect(
      months.every((row) => row.quote === quote && localOpen(row.timestamp, zone) === "01, 00:00"),
      `VOD's months on ${exchangeId} must open at ${zone}'s midnight of the 1st, in ${quote}: ${JSON.stringify(months[0])}`,
    );
    expect(
      months.map((row) => row.isFinal).join() === "true,true,false",
      `only VOD's current month on ${exchangeId} is open: ${months.map((row) => row.isFinal).join()}`,
    );
  }
  await reader.close();

  const prices = await rows(
    `SELECT DISTINCT ON (instrument) instrument, exchange_id, quote, asset_class, usd_price::text AS price
     FROM "${schema}".crypto_prices ORDER BY instrument, last_updated DESC`,
  );
  expect(prices.length === 4, `expected the latest price of 4 instruments, found ${prices.length}`);
  expect(
    prices.some((row) => row.instrument === "EUR/USD" && row.asset_class === "forex" && row.quote === "USD"),
    "EUR/USD's price should say forex and USD",
  );

  // A second run resumes from the checkpoint stored in the database.
  const backfillWindows = () =>
    server.requests.filter((request) => request.query.start_date !== undefined).length;
  const windowsBefore = backfillWindows();
  const countBefore = await rows(`SELECT count(*)::int AS n FROM "${schema}".crypto_ohlcv`);
  const second = await runPipeline();
  expect(second.error === undefined, `the second run failed: ${second.error?.message}`);
  expect(backfillWindows() === windowsBefore, "the second run fetched backfill windows again");
  const countAfter = await rows(`SELECT count(*)::int AS n FROM "${schema}".crypto_ohlcv`);
  expect(
    countAfter[0]?.n - countBefore[0]?.n <= 4,
    `the second run added ${countAfter[0]?.n - countBefore[0]?.n} candles; only the open hour's were expected`,
  );
  expect(
    server.requests.every((request) => request.headerKey === KEY && !request.url.includes(KEY)),
    "the key must travel in the Authorization header only",
  );

  if (failures.length > 0) {
    console.error(`twelvedata-to-timescale example FAILED:\n- ${failures.join("\n- ")}`);
    process.exitCode = 1;
  } else {
    console.log(
      `twelvedata-to-timescale example: ${first.recordsIn} records (4 quotes, hourly candles, ${days} daily candles × 4 instruments, 3 months of VOD on two markets) written to TimescaleDB and read back; the second run resumed (${second.recordsIn} new) — OK`,
    );
  }
} finally {
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  await client.end();
  await server.close();
}
