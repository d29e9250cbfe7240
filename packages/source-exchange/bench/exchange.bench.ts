/**
 * Exchange source benchmarks, each against a Binance-shaped local server in a process of its
 * own (blast-server.mjs), in rounds alternating with their baseline (medians reported, every
 * round kept, with the load average: the machine is shared):
 *
 * - exchange: 10,000,000 trade frames sent as fast as the socket takes them, through the
 *   source (decode, normalise, gap checks) and the runtime (validation, batching) into a
 *   counting memory target, beside a bare `ws` client that only JSON.parses the same frames.
 *   RSS is sampled throughout: it must stay flat.
 * - exchange-latency: 5,000 trades a second for 20 seconds into TimescaleDB; latency is from
 *   the frame's arrival (the record's receivedAt) to the committed row, with each stage on
 *   the way (latency-stages.ts). The baseline is the TimescaleDB write of the same batches alone.
 *
 * QICORE_BENCH_EXCHANGE_FRAMES and QICORE_BENCH_EXCHANGE_ROUNDS shorten a run while working on it.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  createRegistry,
  MemoryStateStore,
  memoryStore,
  memoryTarget,
  Pipeline,
  silentLogger,
} from "@qicore/core";
import pg from "pg";
import WebSocket from "ws";
import { type Benchmark, type BenchResult, peakRssMb, progress, result } from "../../../bench/lib";
// The same module the target-timescale benchmark loads: the runner imports every benchmark file into one process.
import { timescaleTarget } from "../../target-timescale/src/index";
import { createExchangeSource } from "../src/source";
import { blastPipelineConfig } from "./blast-pipeline";
import { Stages, stampedSource, stampedTarget, summarise } from "./latency-stages";
import { loadAverage, median, percentile, spread } from "./rounds";

const MESSAGES = Number(process.env.QICORE_BENCH_EXCHANGE_FRAMES ?? 10_000_000);
const ROUNDS = Number(process.env.QICORE_BENCH_EXCHANGE_ROUNDS ?? 3);
const RATE = 5_000;
const LATENCY_SECONDS = 20;
const WARM_UP_SECONDS = 3;

async function startServer(args: string[] = []): Promise<{ port: number; child: ChildProcess }> {
  const script = fileURLToPath(new URL("./blast-server.mjs", import.meta.url));
  const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once("data", (data: Buffer) => resolve(Number(data.toString().trim())));
    child.once("exit", (code) => reject(new Error(`blast server exited with ${code}`)));
  });
  return { port, child };
}

/** The bare client: connect, subscribe, JSON.parse every frame, nothing else. */
async function bareClient(port: number): Promise<number> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/stream`, { perMessageDeflate: false });
  let received = 0;
  let first = 0;
  const done = new Promise<number>((resolve) => {
    socket.on("message", (data) => {
      const parsed = JSON.parse(data.toString()) as { data?: unknown };
      if (parsed.data === undefined) return;
      if (received === 0) first = performance.now();
      if (++received === MESSAGES) {
        const seconds = (performance.now() - first) / 1000;
        socket.terminate();
        resolve(MESSAGES / seconds);
      }
    });
  });
  socket.on("open", () =>
    socket.send(JSON.stringify({ method: "SUBSCRIBE", params: ["btcusdt@trade"], id: 1 })),
  );
  return done;
}

async function sourceRun(port: number): Promise<{ rate: number; rss: number[] }> {
  const store = `exchange-bench-${Date.now()}`;
  const loaded = await Pipeline.fromConfig(blastPipelineConfig("exchange-bench", port, store), {
    registry: createRegistry(createExchangeSource(), memoryTarget),
    logger: silentLogger,
    stateStore: new MemoryStateStore(),
  });
  if (!loaded.ok) throw loaded.error;
  const pipeline = loaded.value;
  const written = memoryStore(store);
  const started = await pipeline.start();
  if (!started.ok) throw started.error;
  const rss: number[] = [];
  let first = 0;
  for (let tick = 0; written.recordsWritten < MESSAGES; tick++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (first === 0 && written.recordsWritten > 0) first = performance.now();
    if (tick % 50 === 0) {
      rss.push(Math.round(process.memoryUsage().rss / 1_048_576));
      progress(`source: ${written.recordsWritten.toLocaleString("en")} trades, RSS ${rss.at(-1)} MiB`);
    }
  }
  const seconds = (performance.now() - first) / 1000;
  await pipeline.destroy();
  return { rate: written.recordsWritten / seconds, rss };
}

/** One round of either client, against a fresh server (neither inherits the other's unsent frames). */
async function throughputRound(client: "bare" | "source"): Promise<{ rate: number; rss: number[] }> {
  const server = await startServer();
  try {
    if (client === "bare") return { rate: await bareClient(server.port), rss: [] };
    return await sourceRun(server.port);
  } finally {
    server.child.kill();
  }
}

const throughput: Benchmark = {
  name: "exchange",
  description: `${MESSAGES.toLocaleString("en")} Binance trade frames through the exchange source and the runtime vs a bare ws client that only JSON.parses them, ${ROUNDS} rounds each, alternating`,
  async run(): Promise<BenchResult> {
    const loadBefore = loadAverage();
    const bare: number[] = [];
    const source: number[] = [];
    const rssPerRound: { early: number; last: number; max: number }[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      progress(`round ${round}: bare ws client, JSON.parse only`);
      bare.push((await throughputRound("bare")).rate);
      progress(
        `round ${round}: bare ws client ${Math.round(bare.at(-1) as number)} msg/s; exchange source → runtime → counting target`,
      );
      const { rate, rss } = await throughputRound("source");
      source.push(rate);
      rssPerRound.push({
        early: rss[Math.min(2, rss.length - 1)] ?? 0,
        last: rss.at(-1) ?? 0,
        max: Math.max(...rss),
      });
      progress(
        `round ${round}: source ${Math.round(rate)} trades/s (load average ${loadAverage().join(" ")})`,
      );
    }
    return result(
      "exchange",
      "trades/s",
      median(source),
      { name: "bare ws client, JSON.parse only (median)", value: median(bare) },
      {
        messages: MESSAGES,
        rounds: ROUNDS,
        source: spread(source),
        bare: spread(bare),
        ratioPerRound: source.map(
          (rate, index) => Math.round((rate / (bare[index] as number)) * 1000) / 1000,
        ),
        rssPerRoundMiB: rssPerRound,
        peakRssMbWholeProcess: peakRssMb(),
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadAverage(),
        settings:
          "one connection, BTCUSDT@trade; source batchSize 5,000; runtime batch 5,000 / 5 ms; memory target keep: false; bare and source rounds alternate, each against a fresh blast server",
      },
    );
  },
};

function services(): string {
  if (!process.env.QICORE_TEST_TIMESCALE_URL) {
    progress("starting TimescaleDB (bash scripts/services.sh up timescale)");
    if (spawnSync("bash", ["scripts/services.sh", "up", "timescale"], { stdio: "inherit" }).status !== 0)
      throw new Error("scripts/services.sh up failed");
    const env = spawnSync("bash", ["scripts/services.sh", "env"], { encoding: "utf8" }).stdout;
    for (const match of env.matchAll(/^export (\w+)='([^']*)'$/gm))
      process.env[match[1] as string] = match[2];
  }
  return process.env.QICORE_TEST_TIMESCALE_URL as string;
}

/** One latency round: 5,000 trades a second for 20 s into a fresh schema, every stage stamped. */
async function latencyRound(url: string) {
  const schema = `bench_exchange_${Date.now().toString(36)}`;
  const server = await startServer(["--rate", String(RATE)]);
  const stages = new Stages();
  const loaded = await Pipeline.fromConfig(
    {
      name: "exchange-latency",
      sources: [
        {
          id: "binance",
          type: "stamped-exchange",
          config: {
            exchange: "binance",
            symbols: ["BTCUSDT"],
            websocketUrl: `ws://127.0.0.1:${server.port}`,
            restUrl: `http://127.0.0.1:${server.port}`,
          },
        },
      ],
      targets: [{ id: "db", type: "stamped-timescale", config: { connectionString: url, schema } }],
      // 10 ms, not 2: a batch every 2 ms, at most three writes in flight, asked for more writes
      // than a shared TimescaleDB answers (12-16 ms each at the median), and batches queued
      // behind writes (measured alternately, load average 6-9: p99 480 and 468 ms at 2 ms,
      // 124 and 288 ms at 10 ms).
      delivery: { batch: { maxRecords: 500, maxWait: "10ms" } },
    },
    {
      registry: createRegistry(
        stampedSource(createExchangeSource(), stages),
        stampedTarget(timescaleTarget, stages),
      ),
      logger: silentLogger,
      stateStore: new MemoryStateStore(),
    },
  );
  if (!loaded.ok) throw loaded.error;
  const pipeline = loaded.value;
  const started = await pipeline.start();
  if (!started.ok) throw started.error;
  await new Promise((resolve) => setTimeout(resolve, LATENCY_SECONDS * 1000));
  server.child.kill();
  await pipeline.destroy();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const rows = Number(
    (await client.query(`SELECT count(*)::int AS n FROM "${schema}".crypto_trades`)).rows[0].n,
  );
  await client.query(`DROP SCHEMA "${schema}" CASCADE`);
  await client.end();
  if (rows !== stages.written.size)
    throw new Error(`${stages.written.size} trades written but ${rows} rows stored`);
  const summary = summarise(stages, RATE * WARM_UP_SECONDS);
  const writeTimes = stages.writes.slice(
    Math.floor(stages.writes.length * (WARM_UP_SECONDS / LATENCY_SECONDS)),
  );
  return {
    rows,
    ...summary,
    writeAloneP99: percentile(writeTimes, 99),
    writeAloneP50: Math.round(percentile(writeTimes, 50) * 10) / 10,
    writes: stages.writes.length,
  };
}

const latency: Benchmark = {
  name: "exchange-latency",
  description: `frame received → TimescaleDB row at ${RATE.toLocaleString("en")} trades/s (exchange source → target-timescale), ${ROUNDS} rounds`,
  async run(): Promise<BenchResult> {
    const url = services();
    const loadBefore = loadAverage();
    const rounds: Awaited<ReturnType<typeof latencyRound>>[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      progress(`round ${round}: ${RATE} trades/s for ${LATENCY_SECONDS} s into TimescaleDB`);
      rounds.push(await latencyRound(url));
      const last = rounds.at(-1) as (typeof rounds)[number];
      progress(
        `round ${round}: p99 ${last.p99} ms (write alone p99 ${last.writeAloneP99.toFixed(1)} ms; tail means ${JSON.stringify(Object.fromEntries(Object.entries(last.stages).map(([stage, figures]) => [stage, figures.tailMean])))})`,
      );
    }
    const p99s = rounds.map((round) => round.p99);
    const writeP99s = rounds.map((round) => round.writeAloneP99);
    return result(
      "exchange-latency",
      "ms (p99)",
      median(p99s),
      {
        name: "TimescaleDB write of the same batches alone, p99 (median of rounds)",
        value: median(writeP99s),
      },
      {
        rate: RATE,
        seconds: LATENCY_SECONDS,
        rounds: ROUNDS,
        p99: spread(p99s),
        writeAloneP99: spread(writeP99s),
        perRound: rounds,
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadAverage(),
        settings:
          "receivedAt has millisecond resolution; runtime batch 500 / 10 ms; target-timescale defaults (up to 3 writes in flight); one connection; stages: network = sent → received, source = received → yielded by read, queued = yielded → write started, write = the write call, total = received → written",
      },
    );
  },
};

export const benchmarks = [throughput, latency];
