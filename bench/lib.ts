import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** What every benchmark reports, and what bench-results/<name>.json holds. */
export interface BenchResult {
  name: string;
  unit: string;
  value: number;
  baseline: { name: string; value: number } | null;
  ratio: number | null;
  peakRssMb: number;
  /** Further figures worth keeping (per-variant rates, latencies). */
  details?: Record<string, unknown>;
}

export interface Benchmark {
  name: string;
  description: string;
  run(): Promise<BenchResult | BenchResult[]>;
}

/** Peak resident memory of this process so far, in MiB. */
export function peakRssMb(): number {
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

export function result(
  name: string,
  unit: string,
  value: number,
  baseline: { name: string; value: number } | null,
  details?: Record<string, unknown>,
): BenchResult {
  return {
    name,
    unit,
    value: round(value),
    baseline: baseline ? { name: baseline.name, value: round(baseline.value) } : null,
    ratio: baseline && baseline.value > 0 ? Math.round((value / baseline.value) * 1000) / 1000 : null,
    peakRssMb: peakRssMb(),
    ...(details ? { details } : {}),
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

export function writeResult(entry: BenchResult, folder = "bench-results"): string {
  mkdirSync(folder, { recursive: true });
  const path = join(folder, `${entry.name}.json`);
  writeFileSync(path, `${JSON.stringify(entry, null, 2)}\n`);
  return path;
}

const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

export function describeResult(entry: BenchResult): string {
  const baseline = entry.baseline
    ? `   baseline ${entry.baseline.name}: ${number.format(entry.baseline.value)} ${entry.unit}   ratio ${entry.ratio}x`
    : "";
  return `${entry.name}: ${number.format(entry.value)} ${entry.unit}${baseline}   peak RSS ${entry.peakRssMb} MiB`;
}

/** A progress line on standard error (benchmarks take a while). */
export function progress(text: string): void {
  process.stderr.write(`  … ${text}\n`);
}
