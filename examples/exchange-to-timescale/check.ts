/**
 * Runs pipeline.offline.yaml with the `qicore` CLI (the built packages) against a local
 * Binance stand-in, drops the connection halfway, stops the pipeline with SIGTERM, then
 * checks what it wrote: every trade from the first one it saw to the last one played,
 * once each, with the stand-in's exact prices; and the closed 1-minute candles in the
 * embedded database, each once, with the stand-in's values. Exits non-zero on a mismatch.
 * CI runs it (`pnpm examples`, after `pnpm build`); it needs no internet.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startExchangeStandIn } from "@qicore/source-exchange/testing";
import { createTimescaleReader } from "@qicore/target-timescale";

const here = dirname(fileURLToPath(import.meta.url));
const coreDir = dirname(createRequire(import.meta.url).resolve("@qicore/core/package.json"));
const qicore = join(coreDir, "dist/cli/bin.js");
const failures: string[] = [];
const expect = (condition: boolean, message: string) => condition || failures.push(message);
/** The reader gives decimals without trailing zeros: compare values, not paddings. */
const value = (text: string | null | undefined) =>
  (text ?? "").replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

rmSync(join(here, ".qicore"), { recursive: true, force: true });
const standIn = await startExchangeStandIn({ exchange: "binance", tradesPerSecond: 0 });
const market = standIn.markets[0];
if (!market) throw new Error("the stand-in has no market");

const child: ChildProcess = spawn(
  process.execPath,
  [qicore, "run", "pipeline.offline.yaml", "--log-level", "warn", "--no-progress"],
  {
    cwd: here,
    env: { ...process.env, BINANCE_WS_URL: standIn.websocketUrl, BINANCE_REST_URL: standIn.restUrl },
    stdio: ["ignore", "inherit", "inherit"],
  },
);
const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 50) {
    if (waited > 60_000) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

try {
  await waitFor(() => standIn.subscriptions() >= 2, "the pipeline subscribed");
  // Four minutes of market time (one trade a second), in bursts, with a drop in the middle.
  for (let burst = 0; burst < 12; burst++) {
    standIn.advance(20);
    await sleep(40);
  }
  standIn.inject({ kind: "drop" });
  standIn.advance(60); // played while the pipeline is disconnected: only REST has these
  await waitFor(
    () => standIn.stats.connections >= 2 && standIn.subscriptions() >= 2,
    "the pipeline reconnected",
  );
  for (let burst = 0; burst < 6; burst++) {
    standIn.advance(10);
    await sleep(40);
  }
  const last = standIn.position(market.symbol);
  const tradesWritten = () => {
    try {
      return readFileSync(join(here, ".qicore/offline-ticks.jsonl"), "utf8").split("\n").filter(Boolean)
        .length;
    } catch {
      return 0;
    }
  };
  await waitFor(() => tradesWritten() >= last - 2, "the trades reached the file");
  child.kill("SIGTERM");
  expect((await exited) === 0, "qicore run did not exit cleanly after SIGTERM");

  const lines = readFileSync(join(here, ".qicore/offline-ticks.jsonl"), "utf8").split("\n").filter(Boolean);
  const trades = lines.map(
    (line) => (JSON.parse(line) as { record: { tradeId: string; price: string } }).record,
  );
  const ids = trades.map((trade) => Number(trade.tradeId));
  const first = Math.min(...ids);
  expect(new Set(ids).size === ids.length, `${ids.length - new Set(ids).size} trades were written twice`);
  const missing = [];
  for (let id = first; id <= last; id++) if (!ids.includes(id)) missing.push(id);
  expect(
    missing.length === 0,
    `trades missing after the dropped connection: ${missing.slice(0, 10).join(", ")}`,
  );
  expect(
    trades.every((trade) => trade.price === market.series.trade(Number(trade.tradeId)).price),
    "trade prices differ from the exchange's decimal strings",
  );

  const reader = createTimescaleReader({ connectionString: "embedded:.qicore/offline-db", baseDir: here });
  const stored = await reader.getLatestOHLCV("bitcoin", "1m", 100, { exchangeId: "binance" });
  await reader.close();
  const candles = stored.ok ? stored.value : [];
  expect(stored.ok, `reading candles failed: ${stored.ok ? "" : stored.error.message}`);
  expect(candles.length >= 3, `expected at least 3 closed one-minute candles, found ${candles.length}`);
  for (const candle of candles) {
    const open = Date.parse(candle.timestamp);
    const expected = market.series.candle(open, 60_000, last);
    expect(
      candle.isFinal &&
        value(candle.close) === value(expected?.close) &&
        value(candle.volume) === value(expected?.volume),
      `candle ${candle.timestamp}: ${candle.close} / ${candle.volume} instead of ${expected?.close} / ${expected?.volume}`,
    );
  }
  if (failures.length > 0) {
    console.error(`exchange-to-timescale example FAILED:\n- ${failures.join("\n- ")}`);
    process.exitCode = 1;
  } else {
    console.log(
      `exchange-to-timescale example: ${ids.length} trades (${first}..${last}) and ${candles.length} one-minute candles written across a dropped connection, each once, exact — OK`,
    );
  }
} finally {
  if (child.exitCode === null) child.kill("SIGKILL");
  await standIn.close();
}
