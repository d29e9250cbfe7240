/**
 * Exchange source benchmarks, each against a Binance-shaped local server in a process of its
 * own (blast-server.mjs):
 *
 * - exchange: 10,000,000 trade frames sent as fast as the socket takes them, through the
 *   source (decode, normalise, gap checks) and the runtime (validation, batching) into a
 *   counting memory target, beside a bare `ws` client that only JSON.parses the same frames.
 *   RSS is sampled throughout: it must stay flat.
 * - exchange-latency: 5,000 trades a second for 20 seconds into TimescaleDB; latency is from
 *   the frame's arrival (the record's receivedAt) to the committed row. The baseline is the
 *   TimescaleDB write of the same batches alone.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  type CryptoTrade,
  createRegistry,
  defineTarget,
  type MarketRecord,
  MemoryStateStore,
  memoryStore,
  memoryTarget,
  Pipeline,
  type RecordKind,
  silentLogger,
  type TargetDefinition,
} from "@qicore/core";
import pg from "pg";
import WebSocket from "ws";
import { type Benchmark, type BenchResult, peakRssMb, progress, result } from "../../../bench/lib";
// The same module the target-timescale benchmark loads: the runner imports every benchmark file into one process.
import { timescaleTarget } from "../../target-timescale/src/index";
import { createExchangeSource } from "../src/source";

const MESSAGES = 10_000_000;
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
  const loaded = await Pipeline.fromConfig(
    {
      name: "exchange-bench",
      sources: [
        {
          id: "binance",
          type: "exchange",
          config: {
            exchange: "binance",
            symbols: ["BTCUSDT"],
            websocketUrl: `ws://127.0.0.1:${port}`,
            restUrl: `http://127.0.0.1:${port}`,
            batchSize: 5_000,
            staleAfter: "30s",
          },
        },
      ],
      targets: [{ id: "count", type: "memory", config: { store, keep: false } }],
      delivery: { batch: { maxRecords: 5_000, maxWait: "5ms" } },
    },
    {
      registry: createRegistry(createExchangeSource(), memoryTarget),
      logger: silentLogger,
      stateStore: new MemoryStateStore(),
    },
  );
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

const throughput: Benchmark = {
  name: "exchange",
  description: `${MESSAGES.toLocaleString("en")} Binance trade frames through the exchange source and the runtime vs a bare ws client that only JSON.parses them`,
  async run(): Promise<BenchResult> {
    // A fresh server for each client: neither inherits the other's unsent frames.
    const bareServer = await startServer();
    progress("bare ws client: JSON.parse only");
    const bare = await bareClient(bareServer.port).finally(() => bareServer.child.kill());
    progress(`bare ws client: ${Math.round(bare)} msg/s`);
    const server = await startServer();
    try {
      progress("exchange source → runtime → counting target");
      const { rate, rss } = await sourceRun(server.port);
      const early = rss[Math.min(2, rss.length - 1)] ?? 0;
      return result(
        "exchange",
        "trades/s",
        rate,
        { name: "bare ws client, JSON.parse only", value: bare },
        {
          messages: MESSAGES,
          rssSamplesMiB: rss,
          rssEarlyMiB: early,
          rssLastMiB: rss.at(-1),
          rssMaxMiB: Math.max(...rss),
          peakRssMbWholeProcess: peakRssMb(),
          settings:
            "one connection, BTCUSDT@trade; source batchSize 5,000; runtime batch 5,000 / 5 ms; memory target keep: false",
        },
      );
    } finally {
      server.child.kill();
    }
  },
};

/** The TimescaleDB target with trades among its kinds, timing each write. */
function timedTimescale(commits: Map<string, number>, writes: number[]): TargetDefinition {
  const kinds = [...new Set<RecordKind>([...timescaleTarget.capabilities.kinds, "trade"])];
  return defineTarget({
    ...timescaleTarget,
    name: "timed-timescale",
    capabilities: { ...timescaleTarget.capabilities, kinds },
    async create(config, context) {
      const handlers = await timescaleTarget.create(config, context);
      return {
        ...handlers,
        write: async (kind: RecordKind, records: readonly MarketRecord[]) => {
          const started = performance.now();
          const outcome = await handlers.write(kind, records);
          const now = Date.now();
          writes.push(performance.now() - started);
          for (const record of records as readonly CryptoTrade[])
            commits.set(record.tradeId, now - Date.parse(record.receivedAt));
          return outcome;
        },
      };
    },
  }) as TargetDefinition;
}

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

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

const latency: Benchmark = {
  name: "exchange-latency",
  description: `frame received → TimescaleDB row at ${RATE.toLocaleString("en")} trades/s (exchange source → target-timescale)`,
  async run(): Promise<BenchResult> {
    const url = services();
    const schema = `bench_exchange_${Date.now().toString(36)}`;
    const server = await startServer(["--rate", String(RATE)]);
    const commits = new Map<string, number>();
    const writes: number[] = [];
    const loaded = await Pipeline.fromConfig(
      {
        name: "exchange-latency",
        sources: [
          {
            id: "binance",
            type: "exchange",
            config: {
              exchange: "binance",
              symbols: ["BTCUSDT"],
              websocketUrl: `ws://127.0.0.1:${server.port}`,
              restUrl: `http://127.0.0.1:${server.port}`,
            },
          },
        ],
        targets: [{ id: "db", type: "timed-timescale", config: { connectionString: url, schema } }],
        delivery: { batch: { maxRecords: 500, maxWait: "2ms" } },
      },
      {
        registry: createRegistry(createExchangeSource(), timedTimescale(commits, writes)),
        logger: silentLogger,
        stateStore: new MemoryStateStore(),
      },
    );
    if (!loaded.ok) throw loaded.error;
    const pipeline = loaded.value;
    const started = await pipeline.start();
    if (!started.ok) throw started.error;
    progress(`${RATE} trades/s for ${LATENCY_SECONDS} s into TimescaleDB`);
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
    const skip = RATE * WARM_UP_SECONDS;
    const samples = [...commits.entries()].filter(([id]) => Number(id) > skip).map(([, ms]) => ms);
    const writeSkip = Math.floor(writes.length * (WARM_UP_SECONDS / LATENCY_SECONDS));
    const writeTimes = writes.slice(writeSkip);
    if (rows !== commits.size) throw new Error(`${commits.size} trades written but ${rows} rows stored`);
    return result(
      "exchange-latency",
      "ms (p99)",
      percentile(samples, 99),
      { name: "TimescaleDB write of the same batches alone, p99", value: percentile(writeTimes, 99) },
      {
        rate: RATE,
        seconds: LATENCY_SECONDS,
        samples: samples.length,
        rows,
        p50Ms: percentile(samples, 50),
        p90Ms: percentile(samples, 90),
        p99Ms: percentile(samples, 99),
        maxMs: Math.max(...samples),
        writeP50Ms: Math.round(percentile(writeTimes, 50) * 10) / 10,
        settings: "receivedAt has millisecond resolution; runtime batch 500 / 2 ms; one connection",
      },
    );
  },
};

export const benchmarks = [throughput, latency];
