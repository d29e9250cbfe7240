/**
 * `pnpm bench tap`: what a `qicore tap` client costs a pipeline under load (issue 17: at most 5%).
 *
 * On a machine other work shares, throughput moves by tens of per cent from one second to the
 * next, so windows with and without a tap taken one after the other (what this benchmark did
 * first, and then in alternating and sandwiched rounds) could not tell 5% apart. Here two
 * identical pipelines (bench/tap-pipeline.ts: unbounded synthetic source → memory target, served
 * like `qicore run --metrics-port`) run side by side in processes of their own, and in each window
 * a `qicore tap` client taps one of them: both live through the same moments of the machine, and
 * the ratio of their throughputs (read from their own counters over a steady window, so no
 * start-up is in it) is the tap's effect times the difference between the two processes. Which
 * one is tapped alternates, and the geometric mean of two consecutive windows cancels that
 * difference. The figure is the median of those pair estimates, with quartiles, min and max; a
 * verdict is given only when the quartiles fall on one side of 0.95.
 *
 * The client's own CPU is shared by both pipelines here, so it is measured apart, as a share of
 * a pipeline's CPU: on a machine with no core to spare that share comes off too, and
 * `saturatedMachineEstimate` applies it.
 *
 * When even that spread straddles 0.95 (a machine loaded several times over), the `profiled`
 * figures decide: a CPU profile of the tapped pipeline's process gives the share of its CPU
 * spent in the tap's code (runtime/tap.ts, tap-stream.ts and what they call), and /proc the
 * client's CPU beside it; both are shares within processes, which other work moves little.
 * Garbage collection the tap's allocations cause is not in the tap's share.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { type Benchmark, type BenchResult, progress, result } from "./lib";

const PAIRS = Number(process.env.QICORE_BENCH_TAP_PAIRS ?? 6);
const WINDOW_MS = Number(process.env.QICORE_BENCH_TAP_WINDOW_MS ?? 3000);
/** CPU profiles of a tapped pipeline per rate (alternating between the two processes). */
const PROFILES = Number(process.env.QICORE_BENCH_TAP_PROFILES ?? 4);
/** Pause after a client attaches, so its start-up falls outside the window. */
const SETTLE_MS = 750;
/** Records a second the tap asks for: `qicore tap`'s default, and ten times it (a reader that wants a lot). */
const TAP_RATES = [100, 1000] as const;
const TARGET = "mem";

interface PipelineProcess {
  child: ChildProcess;
  url: string;
  /** CPU time of the process over `ms`, in all code and in the tap's (bench/tap-pipeline.ts). */
  profile(ms: number): Promise<{ busyMs: number; tapMs: number }>;
}

async function startPipeline(): Promise<PipelineProcess> {
  const child = spawn(process.execPath, [...process.execArgv, "bench/tap-pipeline.ts"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error("a pipeline process ended");
    return JSON.parse(line.value) as unknown;
  };
  const { url } = (await next()) as { url: string };
  return {
    child,
    url,
    async profile(ms) {
      child.stdin?.write(`profile ${ms}\n`);
      return (await next()) as { busyMs: number; tapMs: number };
    },
  };
}

async function stopPipeline(pipeline: PipelineProcess): Promise<void> {
  if (pipeline.child.exitCode !== null || pipeline.child.signalCode !== null) return;
  const exited = once(pipeline.child, "exit");
  pipeline.child.kill("SIGTERM");
  await exited;
}

/** Records the pipeline's target has written so far, from its own counters. */
async function recordsOut(pipeline: PipelineProcess): Promise<number> {
  const status = (await (await fetch(`${pipeline.url}/status`)).json()) as {
    state: string;
    metrics: { recordsOut: Record<string, number> };
  };
  if (status.state !== "running") throw new Error(`a pipeline is ${status.state}`);
  return status.metrics.recordsOut[TARGET] ?? 0;
}

/**
 * The `qicore tap` command as a user runs it: the built CLI (packages/core/bin/qicore.js, after
 * `pnpm build`), else this checkout's sources through tsx. It writes to a file, read once it
 * has exited: reading its output through a pipe would add work to this process.
 */
function startTapClient(url: string, rate: number) {
  const built = existsSync("packages/core/dist/cli/bin.js");
  const command = built
    ? ["packages/core/bin/qicore.js"]
    : ["--conditions=qicore-source", "--import", "tsx", "packages/core/src/cli/bin.ts"];
  const output = join(mkdtempSync(join(tmpdir(), "qicore-tap-bench-")), "tapped.jsonl");
  const file = openSync(output, "w");
  const child = spawn(
    process.execPath,
    [...command, "tap", url, "--limit", "100000", "--rate", String(rate)],
    { stdio: ["ignore", file, "ignore"] },
  );
  closeSync(file);
  return {
    child,
    started: () => statSync(output).size > 0,
    /** Stops it (as Ctrl-C does) and returns the records it printed. */
    async stop(): Promise<number> {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, "exit");
        child.kill("SIGTERM");
        await exited;
      }
      const lines = readFileSync(output, "utf8")
        .split("\n")
        .filter((line) => line !== "").length;
      rmSync(dirname(output), { recursive: true, force: true });
      return lines;
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(20);
  }
}

/** CPU seconds a process has used so far (utime + stime of /proc/<pid>/stat, in clock ticks of 1/100 s). */
function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN; // exited already, or not Linux
  }
}

interface Window {
  rate: number;
  /** Which of the two pipelines was tapped. */
  tappedIndex: 0 | 1;
  tappedRecordsPerSecond: number;
  untappedRecordsPerSecond: number;
  /** CPU seconds per million records written, of the tapped and the untapped pipeline. */
  tappedCpuPerMillion: number;
  untappedCpuPerMillion: number;
  /** The client's CPU over the window as a share of the tapped pipeline's. */
  clientCpuShare: number;
  tapped: number;
}

/** One steady window with a `qicore tap` client on one pipeline and none on the other. */
async function measure(
  pipelines: readonly [PipelineProcess, PipelineProcess],
  tappedIndex: 0 | 1,
  rate: number,
  windowMs: number,
): Promise<Window> {
  const tapped = pipelines[tappedIndex];
  const untapped = pipelines[1 - tappedIndex] as PipelineProcess;
  const client = startTapClient(tapped.url, rate);
  try {
    await waitFor(client.started, "the tap client's first records");
    await sleep(SETTLE_MS);
    const cpu = (pipeline: PipelineProcess) => processCpuSeconds(pipeline.child.pid);
    const before = await Promise.all([recordsOut(tapped), recordsOut(untapped)]);
    const cpuBefore = [cpu(tapped), cpu(untapped), processCpuSeconds(client.child.pid)];
    const startedAt = performance.now();
    await sleep(windowMs);
    const after = await Promise.all([recordsOut(tapped), recordsOut(untapped)]);
    const cpuAfter = [cpu(tapped), cpu(untapped), processCpuSeconds(client.child.pid)];
    const seconds = (performance.now() - startedAt) / 1000;
    const written = [
      (after[0] as number) - (before[0] as number),
      (after[1] as number) - (before[1] as number),
    ];
    const cpuUsed = cpuAfter.map((value, index) => value - (cpuBefore[index] as number));
    if (written.some((count) => count === 0)) throw new Error("a pipeline wrote nothing in a window");
    return {
      rate,
      tappedIndex,
      tappedRecordsPerSecond: (written[0] as number) / seconds,
      untappedRecordsPerSecond: (written[1] as number) / seconds,
      tappedCpuPerMillion: (cpuUsed[0] as number) / ((written[0] as number) / 1e6),
      untappedCpuPerMillion: (cpuUsed[1] as number) / ((written[1] as number) / 1e6),
      clientCpuShare: (cpuUsed[2] as number) / (cpuUsed[0] as number),
      tapped: await client.stop(),
    };
  } finally {
    await client.stop().catch(() => 0);
  }
}

/**
 * The tap's share of the tapped pipeline's CPU, from a CPU profile of its process while a
 * client taps it, and the client's CPU beside it: shares within processes, which the load of
 * the machine moves far less than throughput.
 */
async function profiled(
  pipeline: PipelineProcess,
  rate: number,
): Promise<{ tapShare: number; clientShare: number }> {
  const client = startTapClient(pipeline.url, rate);
  try {
    await waitFor(client.started, "the tap client's first records");
    await sleep(SETTLE_MS);
    const pipelineBefore = processCpuSeconds(pipeline.child.pid);
    const clientBefore = processCpuSeconds(client.child.pid);
    const { busyMs, tapMs } = await pipeline.profile(WINDOW_MS);
    const pipelineCpu = processCpuSeconds(pipeline.child.pid) - pipelineBefore;
    const clientCpu = processCpuSeconds(client.child.pid) - clientBefore;
    return { tapShare: tapMs / busyMs, clientShare: clientCpu / pipelineCpu };
  } finally {
    await client.stop().catch(() => 0);
  }
}

/** The q-quantile by linear interpolation between order statistics. */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const lower = sorted[low] as number;
  return lower + ((sorted[Math.ceil(position)] as number) - lower) * (position - low);
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
  return "undecided: the spread straddles 0.95";
}

/** Per pair of windows (pipeline 0 tapped, then pipeline 1), the geometric mean of their ratios. */
function pairEstimates(windows: readonly Window[], value: (window: Window) => number): number[] {
  const estimates: number[] = [];
  for (let index = 0; index + 1 < windows.length; index += 2)
    estimates.push(Math.sqrt(value(windows[index] as Window) * value(windows[index + 1] as Window)));
  return estimates;
}

export const benchmark: Benchmark = {
  name: "tap",
  description: `two identical served pipelines side by side, one tapped by a qicore tap client (${TAP_RATES.join(" and ")} records/s) in turn, throughput from their own counters over ${WINDOW_MS / 1000} s windows, ${PAIRS} pairs of windows per rate`,
  async run(): Promise<BenchResult[]> {
    const loadBefore = loadavg();
    const pipelines = [await startPipeline(), await startPipeline()] as const;
    try {
      progress("warm-up, every way");
      for (const rate of TAP_RATES)
        for (const index of [0, 1] as const) await measure(pipelines, index, rate, 1500);
      const windows = new Map<number, Window[]>(TAP_RATES.map((rate) => [rate, []]));
      for (let pair = 0; pair < PAIRS; pair++) {
        // The rates take turns in rotating order, so neither always follows the other.
        const order = pair % 2 === 0 ? TAP_RATES : [...TAP_RATES].reverse();
        const line: string[] = [];
        for (const rate of order) {
          for (const index of [0, 1] as const) {
            const window = await measure(pipelines, index, rate, WINDOW_MS);
            windows.get(rate)?.push(window);
            line.push(
              `tap at ${rate}/s on #${index}: ${Math.round(window.tappedRecordsPerSecond)}/s beside ${Math.round(window.untappedRecordsPerSecond)}/s`,
            );
          }
        }
        progress(`pair ${pair + 1}: ${line.join(", ")}; load ${loadavg()[0]?.toFixed(2)}`);
      }
      const profiles = new Map<number, { tapShare: number; clientShare: number }[]>();
      for (const rate of TAP_RATES) {
        const runs: { tapShare: number; clientShare: number }[] = [];
        for (let run = 0; run < PROFILES; run++)
          runs.push(await profiled(pipelines[run % 2] as PipelineProcess, rate));
        profiles.set(rate, runs);
      }
      const loadAfter = loadavg();
      return TAP_RATES.map((rate) => {
        const measured = windows.get(rate) ?? [];
        const ratios = pairEstimates(
          measured,
          (window) => window.tappedRecordsPerSecond / window.untappedRecordsPerSecond,
        );
        // > 1: each record costs the tapped pipeline's process more CPU.
        const cpuRatios = pairEstimates(
          measured,
          (window) => window.tappedCpuPerMillion / window.untappedCpuPerMillion,
        );
        const clientShare = median(measured.map((window) => window.clientCpuShare));
        const estimate = median(ratios) * (1 - clientShare);
        // From the profiles: with the whole machine's CPU for the pipeline and the client, the
        // records' share of it goes from 1 to (1 - tap's share) / (1 + client's share).
        const runs = profiles.get(rate) ?? [];
        const tapShare = median(runs.map((run) => run.tapShare));
        const profiledClientShare = median(runs.map((run) => run.clientShare));
        const cpuEstimate = (1 - tapShare) / (1 + profiledClientShare);
        progress(
          `tap at ${rate}/s: throughput ratio median ${rounded(median(ratios))} (quartiles ${rounded(quantile(ratios, 0.25))}–${rounded(quantile(ratios, 0.75))}, min ${rounded(Math.min(...ratios))}, max ${rounded(Math.max(...ratios))}) → ${verdict(ratios)}; CPU per record ×${rounded(median(cpuRatios))}`,
        );
        progress(
          `tap at ${rate}/s, profiled: the tap's code ${rounded(tapShare * 100, 2)}% of the tapped pipeline's CPU, the client ${rounded(profiledClientShare * 100, 2)}% beside it → ${rounded(cpuEstimate)} on a machine with no core to spare (${cpuEstimate >= 0.95 ? "within 5%" : "more than 5%"})`,
        );
        const tappedRates = measured.map((window) => window.tappedRecordsPerSecond);
        const untappedRates = measured.map((window) => window.untappedRecordsPerSecond);
        const entry = result(
          rate === 100 ? "tap" : `tap-${rate}-per-second`,
          "records/s",
          median(tappedRates),
          {
            name: "the same pipeline beside it, untapped, in the same windows",
            value: median(untappedRates),
          },
          {
            tapRatePerSecond: rate,
            pairs: PAIRS,
            windowSeconds: WINDOW_MS / 1000,
            verdict: verdict(ratios),
            throughputRatio: spread(ratios),
            cpuPerRecordRatio: spread(cpuRatios),
            clientCpuShareOfPipeline: spread(measured.map((window) => window.clientCpuShare)),
            saturatedMachineEstimate: rounded(estimate),
            profiled: {
              runs: runs.length,
              tapCodeShareOfPipelineCpu: spread(runs.map((run) => run.tapShare)),
              clientCpuShareOfPipeline: spread(runs.map((run) => run.clientShare)),
              saturatedMachineRatio: rounded(cpuEstimate),
              verdict: cpuEstimate >= 0.95 ? "within 5%" : "costs more than 5%",
            },
            windows: measured.map((window) => ({
              tapped: window.tappedIndex,
              tappedRecordsPerSecond: Math.round(window.tappedRecordsPerSecond),
              untappedRecordsPerSecond: Math.round(window.untappedRecordsPerSecond),
              recordsTapped: window.tapped,
            })),
            loadAverageBefore: loadBefore.map((value) => rounded(value, 2)),
            loadAverageAfter: loadAfter.map((value) => rounded(value, 2)),
          },
        );
        // The headline ratio is the paired one (same moments, pipelines swapped), not a ratio of medians.
        entry.details = { ...entry.details, ratioOfMedians: entry.ratio };
        entry.ratio = rounded(median(ratios));
        return entry;
      });
    } finally {
      await Promise.all(pipelines.map(stopPipeline));
    }
  },
};
