import { loadavg } from "node:os";

/** Figures of rounds run alternately with their baseline, as the benchmarks report them. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function spread(values: readonly number[]): { min: number; max: number; rounds: number[] } {
  const rounded = values.map((value) => Math.round(value * 10) / 10);
  return { min: Math.min(...rounded), max: Math.max(...rounded), rounds: rounded };
}

/** The 1-, 5- and 15-minute load averages: the machine is shared, so figures come with them. */
export function loadAverage(): number[] {
  return loadavg().map((value) => Math.round(value * 100) / 100);
}

/** The value at percentile `p` (nearest rank) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
