/**
 * `pnpm bench tap`: what a `qicore tap` client costs a pipeline under load (issue 17: at most 5%).
 *
 * One pipeline (unbounded synthetic source → memory target, served over HTTP like `qicore run
 * --metrics-port`) runs for the whole benchmark; its throughput is read from its own counters
 * (records written by the target) over steady windows of WINDOW_MS, so neither the pipeline's
 * start-up nor the tap client's (loading the CLI, ~0.3 CPU s) is in any figure. Windows with a
 * `qicore tap` client alternate with windows without one (O T O T O ..., the tap rates taking
 * turns), and each tapped window is compared with the mean of the untapped windows either side
 * of it, which cancels the slow drift of a shared machine; bursts of others' work are left to
 * the median. The figure is the median of those ratios over ROUNDS tapped windows per rate, with
 * their spread (min, quartiles, max); a verdict is given only when the quartiles fall on one
 * side of 0.95. CPU per record (the pipeline's process, and the tap client's beside it) is
 * reported the same way, as the measure other work on the machine moves least.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createRegistry } from "../packages/core/src/registry/registry";
import { serveMetrics } from "../packages/core/src/runtime/http-server";
import { silentLogger } from "../packages/core/src/runtime/logger";
import { Pipeline } from "../packages/core/src/runtime/pipeline";
import { MemoryStateStore } from "../packages/core/src/runtime/state-store";
import { openTaps } from "../packages/core/src/runtime/tap";
import { type Benchmark, type BenchResult, progress, result } from "./lib";

const BATCH = 1000;
const ROUNDS = Number(process.env.QICORE_BENCH_TAP_ROUNDS ?? 8);
const WINDOW_MS = Number(process.env.QICORE_BENCH_TAP_WINDOW_MS ?? 3000);
/** Pause after a client attaches or leaves, so its start-up and exit fall outside the window. */
const SETTLE_MS = 750;
/** Records a second the tap asks for: `qicore tap`'s default, and ten times it (a reader that wants a lot). */
const TAP_RATES = [100, 1000] as const;
type Condition = (typeof TAP_RATES)[number] | undefined;
const COINS = ["bitcoin", "ethereum", "solana", "cardano", "dogecoin", "usd-coin", "ripple", "polkadot"];
const TARGET = "mem";

/**
 * The `qicore tap` command as a user runs it: the built CLI (packages/core/bin/qicore.js, after
 * `pnpm build`), else this checkout's sources through tsx.
 */
function startTapClient(url: string, rate: number): { child: ChildProcess; lines: () => number } {
  const built = existsSync("packages/core/dist/cli/bin.js");
  const command = built
    ? ["packages/core/bin/qicore.js"]
    : ["--conditions=qicore-source", "--import", "tsx", "packages/core/src/cli/bin.ts"];
  // The client writes to a file, read once it has exited: reading its output through a pipe
  // would put that work in the pipeline's process and count it as the tap's cost.
  const output = join(mkdtempSync(join(tmpdir(), "qicore-tap-bench-")), "tapped.jsonl");
  const file = openSync(output, "w");
  const child = spawn(
    process.execPath,
    [...command, "tap", url, "--limit", "100000", "--rate", String(rate)],
    { stdio: ["ignore", file, "ignore"] },
  );
  closeSync(file);
  const lines = () => {
    const text = readFileSync(output, "utf8");
    rmSync(dirname(output), { recursive: true, force: true });
    return text.split("\n").filter((line) => line !== "").length;
  };
  return { child, lines };
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(20);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU seconds a process has used so far (utime + stime of /proc/<pid>/stat, in clock ticks of 1/100 s). */
function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN; // exited already, or not Linux
  }
}

interface Window {
  condition: Condition;
  recordsPerSecond: number;
  /** CPU seconds of the pipeline's process per million records written. */
  pipelineCpuPerMillion: number;
  /** CPU seconds of the tap client per million records the pipeline wrote meanwhile (it shares the cores). */
  clientCpuPerMillion: number;
  /** Records the client printed, settle time included. */
  tapped: number;
}

async function servedPipeline() {
  const loaded = await Pipeline.fromConfig(
    {
      name: "tap-bench",
      sources: [{ id: "gen", type: "synthetic", config: { coins: COINS, seed: 7, batchSize: BATCH } }],
      targets: [{ id: TARGET, type: "memory", config: { store: "tap-bench", keep: false } }],
      delivery: { batch: { maxRecords: BATCH, maxWait: "50ms" }, maxInFlightRecords: 20 * BATCH },
    },
    { registry: createRegistry(), logger: silentLogger, stateStore: new MemoryStateStore() },
  );
  if (!loaded.ok) throw loaded.error;
  const pipeline = loaded.value;
  const started = await pipeline.start();
  if (!started.ok) throw started.error;
  const server = await serveMetrics(pipeline, { port: 0 });
  return { pipeline, server };
}

/** One steady window under a condition: no tap, or a `qicore tap` client at a rate. */
async function measure(
  pipeline: Pipeline,
  url: string,
  condition: Condition,
  windowMs: number,
): Promise<Window> {
  let client: ReturnType<typeof startTapClient> | undefined;
  try {
    if (condition !== undefined) {
      client = startTapClient(url, condition);
      await waitFor(() => openTaps(pipeline.metrics) === 1, "the tap client to attach");
    }
    await sleep(SETTLE_MS);
    const clientCpuBefore = processCpuSeconds(client?.child.pid);
    const outBefore = pipeline.metrics.totalOut(TARGET);
    const cpuBefore = process.cpuUsage();
    const startedAt = performance.now();
    await sleep(windowMs);
    const seconds = (performance.now() - startedAt) / 1000;
    const written = pipeline.metrics.totalOut(TARGET) - outBefore;
    const cpu = process.cpuUsage(cpuBefore);
    const clientCpu = processCpuSeconds(client?.child.pid) - clientCpuBefore;
    if (pipeline.status !== "running") throw new Error(`the pipeline is ${pipeline.status}`);
    if (written === 0) throw new Error("the pipeline wrote nothing in a window");
    const millions = written / 1e6;
    return {
      condition,
      recordsPerSecond: written / seconds,
      pipelineCpuPerMillion: (cpu.user + cpu.system) / 1e6 / millions,
      clientCpuPerMillion: clientCpu / millions,
      tapped: client ? await stopClient(pipeline, client) : 0,
    };
  } finally {
    // A window that failed leaves no client behind.
    if (client && client.child.exitCode === null && client.child.signalCode === null) client.child.kill();
  }
}

/** Stops a tap client (as Ctrl-C does) and returns the records it printed. */
async function stopClient(pipeline: Pipeline, client: ReturnType<typeof startTapClient>): Promise<number> {
  const running = client.child.exitCode === null && client.child.signalCode === null;
  const exited = running ? once(client.child, "exit") : Promise.resolve();
  client.child.kill("SIGTERM");
  await exited;
  await waitFor(() => openTaps(pipeline.metrics) === 0, "the tap to close");
  const tapped = client.lines();
  if (tapped === 0) throw new Error("the tap printed no records");
  return tapped;
}

/** The q-quantile by linear interpolation between order statistics. */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  const lower = sorted[low] as number;
  return lower + ((sorted[high] as number) - lower) * (position - low);
}

const median = (values: readonly number[]) => quantile(values, 0.5);
const rounded = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

function spread(values: readonly number[]) {
  return {
    min: rounded(Math.min(...values)),
    q1: rounded(quantile(values, 0.25)),
    median: rounded(median(values)),
    q3: rounded(quantile(values, 0.75)),
    max: rounded(Math.max(...values)),
  };
}

/** Within 5% only when even the lower quartile is; over it only when even the upper quartile is. */
function verdict(ratios: readonly number[]): string {
  if (quantile(ratios, 0.25) >= 0.95) return "within 5%";
  if (quantile(ratios, 0.75) < 0.95) return "costs more than 5%";
  return "undecided: the rounds' spread straddles 0.95";
}

/** A tapped window against the mean of the untapped windows before and after it. */
function sandwiched(windows: readonly Window[], rate: number, value: (entry: Window) => number): number[] {
  const ratios: number[] = [];
  windows.forEach((entry, index) => {
    if (entry.condition !== rate) return;
    const before = windows[index - 1] as Window;
    const after = windows[index + 1] as Window;
    ratios.push(value(entry) / ((value(before) + value(after)) / 2));
  });
  return ratios;
}

function describeWindow(entry: Window): string {
  return entry.condition === undefined
    ? `no tap ${Math.round(entry.recordsPerSecond)}/s`
    : `tap at ${entry.condition}/s ${Math.round(entry.recordsPerSecond)}/s (${entry.tapped} tapped)`;
}

export const benchmark: Benchmark = {
  name: "tap",
  description: `a served pipeline's own throughput (records/s from its counters) over ${WINDOW_MS / 1000} s windows with a qicore tap client attached (${TAP_RATES.join(" and ")} records/s) between windows without, ${ROUNDS} tapped windows per rate`,
  async run(): Promise<BenchResult[]> {
    const loadBefore = loadavg();
    const { pipeline, server } = await servedPipeline();
    try {
      progress("warm-up, every way");
      for (const condition of [undefined, ...TAP_RATES, undefined])
        await measure(pipeline, server.url, condition, 1500);
      const windows: Window[] = [await measure(pipeline, server.url, undefined, WINDOW_MS)];
      for (let index = 0; index < ROUNDS; index++) {
        // The rates take turns in rotating order, so neither always follows the other.
        const order = index % 2 === 0 ? TAP_RATES : [...TAP_RATES].reverse();
        const line: string[] = [];
        for (const rate of order) {
          windows.push(await measure(pipeline, server.url, rate, WINDOW_MS));
          windows.push(await measure(pipeline, server.url, undefined, WINDOW_MS));
          line.push(describeWindow(windows.at(-2) as Window), describeWindow(windows.at(-1) as Window));
        }
        progress(`round ${index + 1}: ${line.join(", ")}; load ${loadavg()[0]?.toFixed(2)}`);
      }
      const untapped = windows.filter((entry) => entry.condition === undefined);
      const baselineRate = median(untapped.map((entry) => entry.recordsPerSecond));
      const loadAfter = loadavg();
      return TAP_RATES.map((rate) => {
        const tapped = windows.filter((entry) => entry.condition === rate);
        const ratios = sandwiched(windows, rate, (entry) => entry.recordsPerSecond);
        // CPU per record written: > 1 means the tap makes each record dearer.
        const pipelineCpuRatios = sandwiched(windows, rate, (entry) => entry.pipelineCpuPerMillion);
        const clientShare = tapped.map((entry) => entry.clientCpuPerMillion / entry.pipelineCpuPerMillion);
        progress(
          `tap at ${rate}/s: throughput ratio median ${rounded(median(ratios))} (quartiles ${rounded(quantile(ratios, 0.25))}–${rounded(quantile(ratios, 0.75))}, min ${rounded(Math.min(...ratios))}, max ${rounded(Math.max(...ratios))}) → ${verdict(ratios)}; pipeline CPU per record ×${rounded(median(pipelineCpuRatios))}, tap client CPU ${rounded(median(clientShare) * 100, 1)}% of the pipeline's`,
        );
        const entry = result(
          rate === 100 ? "tap" : `tap-${rate}-per-second`,
          "records/s",
          median(tapped.map((window) => window.recordsPerSecond)),
          { name: "same pipeline, windows between, without a tap", value: baselineRate },
          {
            tappedWindows: ROUNDS,
            windowSeconds: WINDOW_MS / 1000,
            tapRatePerSecond: rate,
            verdict: verdict(ratios),
            throughputRatio: spread(ratios),
            withTapRecordsPerSecond: tapped.map((window) => Math.round(window.recordsPerSecond)),
            withoutTapRecordsPerSecond: untapped.map((window) => Math.round(window.recordsPerSecond)),
            pipelineCpuPerRecordRatio: spread(pipelineCpuRatios),
            // The client shares the machine's cores: its CPU is what a saturated machine would lose.
            tapClientCpuShareOfPipeline: spread(clientShare),
            pipelineCpuSecondsPerMillionWithTap: tapped.map((window) =>
              rounded(window.pipelineCpuPerMillion),
            ),
            pipelineCpuSecondsPerMillionWithoutTap: untapped.map((window) =>
              rounded(window.pipelineCpuPerMillion),
            ),
            // Printed by each client over its settle time and window.
            recordsTappedPerClient: tapped.map((window) => window.tapped),
            loadAverageBefore: loadBefore.map((value) => rounded(value, 2)),
            loadAverageAfter: loadAfter.map((value) => rounded(value, 2)),
          },
        );
        // The headline ratio is the sandwiched one: a ratio of medians mixes windows from different moments of the machine.
        entry.details = { ...entry.details, ratioOfMedians: entry.ratio };
        entry.ratio = rounded(median(ratios));
        return entry;
      });
    } finally {
      await pipeline.destroy();
      await server.close();
    }
  },
};
