import type { Pipeline, RunSummary } from "../runtime/pipeline";

const number = new Intl.NumberFormat("en-US");

/** Where the progress line goes: a terminal stream such as process.stderr. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

/**
 * Prints a one-line progress report every second on a terminal (records/s per
 * target, queue depth, dead letters). Returns a function that stops it.
 */
export function showProgress(pipeline: Pipeline, stream: ProgressStream = process.stderr): () => void {
  if (!stream.isTTY) return () => {};
  let previous = pipeline.metrics.snapshot();
  let previousAt = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const snapshot = pipeline.metrics.snapshot();
    const seconds = (now - previousAt) / 1000;
    const perTarget = Object.entries(snapshot.recordsOut)
      .map(([target, count]) => {
        const rate = (count - (previous.recordsOut[target] ?? 0)) / seconds;
        return `${target} ${number.format(count)} (${number.format(Math.round(rate))}/s)`;
      })
      .join("  ");
    const line = `↻ read ${number.format(Object.values(snapshot.recordsIn).reduce((a, b) => a + b, 0))}  → ${perTarget || "waiting"}  queue ${number.format(snapshot.queueDepth)}  dead letters ${snapshot.deadLetters}`;
    stream.write(`\r\x1b[2K${line.slice(0, (stream.columns ?? 120) - 1)}`);
    previous = snapshot;
    previousAt = now;
  }, 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
    stream.write("\r\x1b[2K");
  };
}

/** The end-of-run summary as a few aligned lines. */
export function formatSummary(summary: RunSummary): string {
  const seconds = Math.max(summary.durationMs, 1) / 1000;
  const lines = [
    `pipeline ${summary.pipeline}: ${summary.state} after ${seconds.toFixed(1)} s`,
    `  read      ${number.format(summary.recordsIn).padStart(12)} records  (${number.format(Math.round(summary.recordsIn / seconds))}/s)`,
  ];
  for (const [target, count] of Object.entries(summary.recordsOut)) {
    lines.push(
      `  → ${target.padEnd(7)} ${number.format(count).padStart(12)} written  (${number.format(Math.round(count / seconds))}/s)`,
    );
  }
  for (const [adapter, count] of Object.entries(summary.recordsFailed)) {
    if (count > 0) lines.push(`  ✗ ${adapter.padEnd(7)} ${number.format(count).padStart(12)} failed`);
  }
  lines.push(
    `  dead letters ${number.format(summary.deadLetters).padStart(9)}${summary.deadLetters > 0 ? `  → ${summary.deadLetterDestination}` : ""}`,
  );
  lines.push(`  checkpoints  ${summary.checkpoints}`);
  if (summary.error) lines.push(`  error: ${summary.error.message}`);
  return lines.join("\n");
}
