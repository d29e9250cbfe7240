/**
 * `pnpm bench tap`: what a `qicore tap` client costs a pipeline under load. The same pipeline
 * (synthetic source → memory target, served over HTTP like `qicore run --metrics-port`) runs
 * with and without a `qicore tap` process reading GET /tap, in alternating rounds so a busy
 * machine weighs on both alike; the figure is the median rate with the tap (at `qicore tap`'s
 * default 100 records/s, and at 1,000), beside the median without. The goal (issue 17) is a ratio
 * of at least 0.95: a tap samples, it never waits. The CPU time of the pipeline's process and of
 * the client are reported too: on a machine other work shares, wall-clock rates move by tens of
 * per cent from one round to the next, and CPU time says what the tap itself costs.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { createRegistry } from "../packages/core/src/registry/registry";
import { serveMetrics } from "../packages/core/src/runtime/http-server";
import { silentLogger } from "../packages/core/src/runtime/logger";
import { Pipeline } from "../packages/core/src/runtime/pipeline";
import { MemoryStateStore } from "../packages/core/src/runtime/state-store";
import { openTaps } from "../packages/core/src/runtime/tap";
import { type Benchmark, type BenchResult, progress, result } from "./lib";

const RECORDS = 500_000;
const BATCH = 1000;
const ROUNDS = 3;
/** Records a second the tap asks for: `qicore tap`'s default, and ten times it (a reader that wants a lot). */
const TAP_RATES = [100, 1000] as const;
const COINS = ["bitcoin", "ethereum", "solana", "cardano", "dogecoin", "usd-coin", "ripple", "polkadot"];

/**
 * The `qicore tap` command as a user runs it: the built CLI (packages/core/bin/qicore.js, after
 * `pnpm build`), else this checkout's sources through tsx, which also compiles every module the
 * client loads late, on the machine the pipeline runs on.
 */
function startTapClient(url: string, rate: number): { child: ChildProcess; lines: () => number } {
  const built = existsSync("packages/core/dist/cli/bin.js");
  const command = built
    ? ["packages/core/bin/qicore.js"]
    : ["--conditions=qicore-source", "--import", "tsx", "packages/core/src/cli/bin.ts"];
  const child = spawn(
    process.execPath,
    [...command, "tap", url, "--limit", "100000", "--rate", String(rate)],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  let count = 0;
  child.stdout?.on("data", (chunk: Buffer) => {
    for (const byte of chunk) if (byte === 10) count++;
  });
  return { child, lines: () => count };
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** CPU seconds a process has used so far (utime + stime of /proc/<pid>/stat, in clock ticks of 1/100 s). */
function processCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN; // exited already, or not Linux
  }
}

interface Round {
  rate: number;
  /** CPU seconds the pipeline's process spent on the run: the tap's cost there, whatever else the machine runs. */
  cpuSeconds: number;
  tapped: number;
  /** CPU seconds the `qicore tap` process spent during the run (it competes for the same cores). */
  clientCpuSeconds: number;
}

/** One round: records per second through the pipeline, its CPU time, and the records the tap printed. */
async function round(tapRate: number | undefined, index: number): Promise<Round> {
  const loaded = await Pipeline.fromConfig(
    {
      name: `tap-bench-${index}`,
      sources: [
        { id: "gen", type: "synthetic", config: { coins: COINS, count: RECORDS, seed: 7, batchSize: BATCH } },
      ],
      targets: [{ id: "mem", type: "memory", config: { store: `tap-bench-${index}`, keep: false } }],
      delivery: { batch: { maxRecords: BATCH, maxWait: "50ms" }, maxInFlightRecords: 20 * BATCH },
    },
    { registry: createRegistry(), logger: silentLogger, stateStore: new MemoryStateStore() },
  );
  if (!loaded.ok) throw loaded.error;
  const pipeline = loaded.value;
  const initialized = await pipeline.initialize();
  if (!initialized.ok) throw initialized.error;
  const server = await serveMetrics(pipeline, { port: 0 });
  let client: ReturnType<typeof startTapClient> | undefined;
  try {
    if (tapRate !== undefined) {
      client = startTapClient(server.url, tapRate);
      // Timing starts once the tap is attached, so the whole run is tapped.
      await waitFor(() => openTaps(pipeline.metrics) === 1, "the tap client to attach");
    }
    // The client's start-up (loading the CLI) is not the tap's cost: count its CPU from here.
    const clientCpuBefore = client?.child.pid ? processCpuSeconds(client.child.pid) : 0;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const summary = await pipeline.run();
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const clientCpuSeconds = client?.child.pid ? processCpuSeconds(client.child.pid) - clientCpuBefore : 0;
    if (summary.error) throw summary.error;
    if (summary.recordsOut.mem !== RECORDS) throw new Error(`wrote ${summary.recordsOut.mem} of ${RECORDS}`);
    let tapped = 0;
    if (client) {
      // The tap ends with the pipeline ("pipeline stopped"), and the client exits 0.
      const [code] =
        client.child.exitCode === null ? await once(client.child, "exit") : [client.child.exitCode];
      if (code !== 0) throw new Error(`qicore tap exited ${code}`);
      tapped = client.lines();
      if (tapped === 0) throw new Error("the tap printed no records");
    }
    return { rate: RECORDS / seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, tapped, clientCpuSeconds };
  } finally {
    client?.child.kill();
    await server.close();
    await pipeline.destroy();
  }
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

const rounded = (value: number) => Math.round(value * 100) / 100;

export const benchmark: Benchmark = {
  name: "tap",
  description: `${RECORDS.toLocaleString("en-US")} prices through a served pipeline with a qicore tap client attached (${TAP_RATES.join(" and ")} records/s), beside the same pipeline without it, ${ROUNDS} alternating rounds`,
  async run(): Promise<BenchResult[]> {
    progress("warm-up, every way");
    await round(undefined, 0);
    for (const rate of TAP_RATES) await round(rate, 0);
    const without: Round[] = [];
    const tapped = new Map<number, Round[]>(TAP_RATES.map((rate) => [rate, []]));
    for (let index = 1; index <= ROUNDS; index++) {
      const plain = await round(undefined, index);
      without.push(plain);
      const line = [
        `round ${index}: without tap ${Math.round(plain.rate)} records/s (${plain.cpuSeconds.toFixed(2)} CPU s)`,
      ];
      for (const rate of TAP_RATES) {
        const tapping = await round(rate, index);
        tapped.get(rate)?.push(tapping);
        line.push(
          `tap at ${rate}/s ${Math.round(tapping.rate)} records/s (${tapping.cpuSeconds.toFixed(2)} CPU s; ${tapping.tapped} records tapped, client ${tapping.clientCpuSeconds.toFixed(2)} CPU s)`,
        );
      }
      progress(line.join(", "));
    }
    const baselineRate = median(without.map((entry) => entry.rate));
    const baselineCpu = median(without.map((entry) => entry.cpuSeconds));
    return TAP_RATES.map((rate) => {
      const rounds = tapped.get(rate) ?? [];
      return result(
        rate === 100 ? "tap" : `tap-${rate}-per-second`,
        "records/s",
        median(rounds.map((entry) => entry.rate)),
        { name: "same pipeline without a tap", value: baselineRate },
        {
          records: RECORDS,
          rounds: ROUNDS,
          tapRatePerSecond: rate,
          withTapRecordsPerSecond: rounds.map((entry) => Math.round(entry.rate)),
          withoutTapRecordsPerSecond: without.map((entry) => Math.round(entry.rate)),
          // The pipeline process's own CPU per run: on a shared machine the steadier measure of what a tap costs it.
          withTapPipelineCpuSeconds: rounds.map((entry) => rounded(entry.cpuSeconds)),
          withoutTapPipelineCpuSeconds: without.map((entry) => rounded(entry.cpuSeconds)),
          pipelineCpuRatio: rounded(median(rounds.map((entry) => entry.cpuSeconds)) / baselineCpu),
          tapClientCpuSecondsDuringRun: rounds.map((entry) => rounded(entry.clientCpuSeconds)),
          recordsTapped: rounds.map((entry) => entry.tapped),
        },
      );
    });
  },
};
