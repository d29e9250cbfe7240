import type { AdapterStatus, PipelineStatus } from "../../runtime/status";

export interface ScreenOptions {
  /** The metrics server the status came from, shown in the title. */
  url: string;
  /** ANSI colours and emphasis (a terminal without NO_COLOR). */
  color: boolean;
  /** Columns of the terminal; longer lines are cut. */
  width: number;
  /** Age that counts as stale when the pipeline sets no `health.freshness.maxAge`. */
  staleAfterSeconds: number;
  /** Most freshness rows shown (the stale ones first). */
  maxSeries: number;
}

const SOURCE_HEADER = ["SOURCE", "TYPE", "RECORDS/S", "TOTAL", "FAILED", "RETRIES", "OUTAGE S", "HEALTH"];
const TARGET_HEADER = [
  "TARGET",
  "TYPE",
  "RECORDS/S",
  "TOTAL",
  "FAILED",
  "RETRIES",
  "BATCH P50",
  "BATCH P99",
  "BATCHES",
];
const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/**
 * One screen of `qicore top`: the pipeline's sources and targets with rates (the
 * difference to the previous status), totals, failures, retries and batch latency; dead
 * letters and records in flight; rate budgets and consumer lag from the adapters' health
 * checks; and the freshness of every series, stale ones marked.
 */
export function renderTop(
  status: PipelineStatus,
  previous: PipelineStatus | undefined,
  options: ScreenOptions,
): string {
  const style = styles(options.color);
  const seconds = previous ? (Date.parse(status.at) - Date.parse(previous.at)) / 1000 : 0;
  const rate = (now: number | undefined, before: number | undefined) =>
    previous && seconds > 0 ? decimal.format(Math.max(0, ((now ?? 0) - (before ?? 0)) / seconds)) : "…";
  const { metrics } = status;
  const lines: string[] = [];
  const readiness = status.ready ? style.good("ready") : style.bad(`not ready`);
  lines.push(
    `${style.bold(`qicore top · ${status.pipeline}`)}  ${status.state}  ${readiness}  ${options.url}  ${status.at.slice(11, 19)} UTC`,
  );
  lines.push(
    `in flight ${number.format(metrics.queueDepth)} records   dead letters ${paint(metrics.deadLetters, style)} (${status.deadLetterDestination})   checkpoints in ${status.checkpoints}`,
  );
  lines.push("");
  const sourceRows = status.sources.map((source) => [
    source.id,
    source.type,
    rate(metrics.recordsIn[source.id], previous?.metrics.recordsIn[source.id]),
    number.format(metrics.recordsIn[source.id] ?? 0),
    number.format(metrics.recordsFailed[source.id] ?? 0),
    number.format(metrics.retries[source.id] ?? 0),
    decimal.format(metrics.outageSeconds[source.id] ?? 0),
    source.health?.status ?? "-",
  ]);
  lines.push(...boldHeader(table([SOURCE_HEADER, ...sourceRows], [0, 1]), style));
  lines.push("");
  const targetRows = status.targets.map((target) => {
    const batches = metrics.batches[target.id];
    return [
      target.id,
      target.type,
      rate(metrics.recordsOut[target.id], previous?.metrics.recordsOut[target.id]),
      number.format(metrics.recordsOut[target.id] ?? 0),
      number.format(metrics.recordsFailed[target.id] ?? 0),
      number.format(metrics.retries[target.id] ?? 0),
      batches ? milliseconds(batches.p50Seconds) : "-",
      batches ? milliseconds(batches.p99Seconds) : "-",
      number.format(batches?.count ?? 0),
    ];
  });
  lines.push(...boldHeader(table([TARGET_HEADER, ...targetRows], [0, 1]), style));

  const budgets = [...status.sources, ...status.targets].flatMap((adapter) => budgetLine(adapter));
  if (budgets.length > 0) {
    lines.push("", style.bold("RATE BUDGETS (adapters' health checks, every 30 s)"), ...budgets);
  }
  const lags = status.sources.flatMap((source) => lagLines(source));
  if (lags.length > 0) lines.push("", style.bold("CONSUMER LAG (messages per partition)"), ...lags);

  const staleAfter = status.staleAfterSeconds ?? options.staleAfterSeconds;
  const series = status.freshness.map((entry) => ({
    ...entry,
    stale: entry.stale ?? entry.ageSeconds > staleAfter,
  }));
  series.sort((a, b) => Number(b.stale) - Number(a.stale) || (a.series < b.series ? -1 : 1));
  const staleCount = series.filter((entry) => entry.stale).length;
  lines.push(
    "",
    style.bold(
      `FRESHNESS  ${series.length} series, ${staleCount} stale (older than ${decimal.format(staleAfter)} s${status.staleAfterSeconds === undefined ? ", --stale-after" : ", health.freshness.maxAge"})`,
    ),
  );
  const shown = series.slice(0, options.maxSeries);
  const freshnessRows = [
    ["SERIES", "NEWEST", "AGE S", " "],
    ...shown.map((entry) => [
      entry.series,
      entry.newest,
      decimal.format(entry.ageSeconds),
      entry.stale ? "STALE" : "",
    ]),
  ];
  const rendered = table(freshnessRows, [0, 1]).split("\n");
  lines.push(
    ...rendered.map((line, index) =>
      index === 0 ? style.bold(line) : shown[index - 1]?.stale ? style.stale(line) : line,
    ),
  );
  if (series.length > shown.length) lines.push(`… and ${series.length - shown.length} more series`);
  if (!status.ready && status.reasons.length > 0) {
    lines.push("", style.bad("not ready:"), ...status.reasons.slice(0, 10).map((reason) => `  ${reason}`));
  }
  return lines.map((line) => cut(line, options.width)).join("\n");
}

/** A source's or target's rate budget, as CoinGecko's, Twelve Data's or an exchange's health check reports it. */
function budgetLine(adapter: AdapterStatus): string[] {
  const details = adapter.health?.details;
  if (!details) return [];
  if (typeof details.callsPerMinute === "number") {
    const used = Number(details.recent ?? 0) + Number(details.inFlight ?? 0);
    const waiting = details.waiting as { live?: number; backfill?: number } | undefined;
    return [
      `  ${adapter.id}  ${number.format(used)} of ${number.format(details.callsPerMinute)} calls a minute used (${Math.round((used / Math.max(1, details.callsPerMinute)) * 100)}%), ${number.format(Number(details.inFlight ?? 0))} in flight, waiting: ${waiting?.live ?? 0} live, ${waiting?.backfill ?? 0} backfill`,
    ];
  }
  if (typeof details.restWeight === "number") {
    return [
      `  ${adapter.id}  REST weight used ${number.format(details.restWeight)} (${number.format(Number(details.restRequests ?? 0))} requests), connections ${details.open ?? "?"} of ${details.connections ?? "?"} open, ${number.format(Number(details.reconnects ?? 0))} reconnects`,
    ];
  }
  return [];
}

/** A Kafka source's lag per partition (`topic/partition` → messages), as its health check reports it. */
function lagLines(source: AdapterStatus): string[] {
  const lag = source.health?.details?.lag;
  if (!lag || typeof lag !== "object") return [];
  const entries = Object.entries(lag as Record<string, unknown>).filter(
    (entry): entry is [string, number] => typeof entry[1] === "number",
  );
  if (entries.length === 0) return [];
  const total = entries.reduce((sum, [, value]) => sum + value, 0);
  return [
    `  ${source.id}  total ${number.format(total)}   ${entries.map(([partition, value]) => `${partition} ${number.format(value)}`).join("   ")}`,
  ];
}

function boldHeader(text: string, style: ReturnType<typeof styles>): string[] {
  return text.split("\n").map((line, index) => (index === 0 ? style.bold(line) : line));
}

function milliseconds(seconds: number): string {
  return Number.isFinite(seconds) ? `≤${number.format(seconds * 1000)} ms` : "> 30 s";
}

/** Rows as aligned columns; the columns in `left` are left-aligned, the others right-aligned. */
function table(rows: string[][], left: number[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [index, cell] of row.entries()) widths[index] = Math.max(widths[index] ?? 0, cell.length, 8);
  }
  return rows
    .map((row) =>
      row
        .map((cell, index) =>
          left.includes(index) ? cell.padEnd(widths[index] ?? 0) : cell.padStart(widths[index] ?? 0),
        )
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

const STYLE_SEQUENCE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

function cut(line: string, width: number): string {
  // Escape sequences take no columns: count only what shows.
  const visible = line.replace(STYLE_SEQUENCE, "");
  if (visible.length <= width) return line;
  return `${visible.slice(0, Math.max(0, width - 1))}…`;
}

function paint(count: number, style: ReturnType<typeof styles>): string {
  return count > 0 ? style.bad(number.format(count)) : number.format(count);
}

function styles(color: boolean) {
  const wrap = (code: string) => (text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { bold: wrap("1"), good: wrap("32"), bad: wrap("31"), stale: wrap("1;31") };
}
