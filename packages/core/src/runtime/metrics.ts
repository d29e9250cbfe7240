/**
 * Pipeline metrics kept in memory, readable as a snapshot by embedders and as
 * Prometheus text over HTTP. Deliberately tiny: counters, gauges and one histogram type.
 */
import { seriesLabels } from "./freshness";

type Labels = Record<string, string>;

const labelKey = (labels: Labels) =>
  Object.keys(labels)
    .sort()
    .map((key) => `${key}=${labels[key]}`)
    .join(",");

class LabelledValues {
  readonly values = new Map<string, { labels: Labels; value: number }>();
  add(labels: Labels, amount: number): void {
    const key = labelKey(labels);
    const entry = this.values.get(key);
    if (entry) entry.value += amount;
    else this.values.set(key, { labels, value: amount });
  }
  set(labels: Labels, value: number): void {
    this.values.set(labelKey(labels), { labels, value });
  }
  get(labels: Labels): number {
    return this.values.get(labelKey(labels))?.value ?? 0;
  }
}

/** Bucket bounds (seconds) of the batch latency histogram: 1 ms to 30 s. */
export const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

class Histogram {
  readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  observe(labels: Labels, seconds: number): void {
    const key = labelKey(labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels, counts: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, entry);
    }
    for (let index = 0; index < LATENCY_BUCKETS.length; index++) {
      if (seconds <= (LATENCY_BUCKETS[index] as number)) (entry.counts[index] as number)++;
    }
    entry.sum += seconds;
    entry.count++;
  }
}

export interface MetricsSnapshot {
  recordsIn: Record<string, number>;
  recordsOut: Record<string, number>;
  recordsFailed: Record<string, number>;
  deadLetters: number;
  batches: Record<string, { count: number; sumSeconds: number; p50Seconds: number; p99Seconds: number }>;
  queueDepth: number;
  /** Retries per adapter (each failed attempt that was tried again). */
  retries: Record<string, number>;
  /** Seconds each adapter spent in outages that ended (retrying until a call passed). */
  outageSeconds: Record<string, number>;
  /** Seconds since the newest record of each series (`bitcoin`, `binance:BTCUSDT`) that reached its targets. */
  dataAgeSeconds: Record<string, number>;
  /** Per processor (`<source>/<processor id>`): records taken, handed on, dropped, refused. */
  processors: Record<string, { in: number; out: number; dropped: number; rejected: number }>;
}

export class PipelineMetrics {
  private readonly recordsIn = new LabelledValues();
  private readonly recordsOut = new LabelledValues();
  private readonly recordsFailed = new LabelledValues();
  private readonly deadLettersTotal = new LabelledValues();
  private readonly batchLatency = new Histogram();
  private readonly retriesTotal = new LabelledValues();
  private readonly processorIn = new LabelledValues();
  private readonly processorOut = new LabelledValues();
  private readonly processorDropped = new LabelledValues();
  private readonly processorRejected = new LabelledValues();
  private readonly outageSecondsTotal = new LabelledValues();
  private queueDepth = 0;
  /** Newest ISO-8601 UTC time seen per series; ISO strings in UTC compare in time order, so no parsing on the hot path. */
  private readonly newestBySeries = new Map<string, string>();

  constructor(private readonly pipelineName: string) {
    // A counter without a sample until its first increment shows as "no data" in rate() panels, not 0.
    this.deadLettersTotal.set({}, 0);
  }

  countIn(sourceId: string, count: number): void {
    this.recordsIn.add({ adapter: sourceId }, count);
  }
  countOut(targetId: string, count: number): void {
    this.recordsOut.add({ adapter: targetId }, count);
  }
  countFailed(adapterId: string, count: number): void {
    this.recordsFailed.add({ adapter: adapterId }, count);
  }
  countDeadLetters(count: number): void {
    this.deadLettersTotal.add({}, count);
  }
  /** One processor call: records in, handed on, dropped on purpose, refused (dead-lettered). */
  countProcessed(
    processor: string,
    counts: { in: number; out: number; dropped: number; rejected: number },
  ): void {
    const labels = { processor };
    this.processorIn.add(labels, counts.in);
    this.processorOut.add(labels, counts.out);
    if (counts.dropped > 0) this.processorDropped.add(labels, counts.dropped);
    if (counts.rejected > 0) this.processorRejected.add(labels, counts.rejected);
  }
  countRetry(adapterId: string): void {
    this.retriesTotal.add({ adapter: adapterId }, 1);
  }
  addOutageSeconds(adapterId: string, seconds: number): void {
    this.outageSecondsTotal.add({ adapter: adapterId }, seconds);
  }
  observeBatch(targetId: string, seconds: number): void {
    this.batchLatency.observe({ adapter: targetId }, seconds);
  }
  setQueueDepth(records: number): void {
    this.queueDepth = records;
  }
  noteNewest(series: string, isoTime: string): void {
    const current = this.newestBySeries.get(series);
    if (current === undefined || isoTime > current) this.newestBySeries.set(series, isoTime);
  }
  newestTimes(): ReadonlyMap<string, string> {
    return this.newestBySeries;
  }

  totalIn(): number {
    return sum(this.recordsIn);
  }
  totalOut(targetId?: string): number {
    return targetId === undefined ? sum(this.recordsOut) : this.recordsOut.get({ adapter: targetId });
  }

  snapshot(now = Date.now()): MetricsSnapshot {
    const batches: MetricsSnapshot["batches"] = {};
    for (const entry of this.batchLatency.series.values()) {
      batches[entry.labels.adapter ?? ""] = {
        count: entry.count,
        sumSeconds: entry.sum,
        p50Seconds: quantile(entry.counts, entry.count, 0.5),
        p99Seconds: quantile(entry.counts, entry.count, 0.99),
      };
    }
    const dataAgeSeconds: Record<string, number> = {};
    for (const [series, iso] of this.newestBySeries)
      dataAgeSeconds[series] = Math.max(0, (now - Date.parse(iso)) / 1000);
    return {
      recordsIn: byAdapter(this.recordsIn),
      recordsOut: byAdapter(this.recordsOut),
      recordsFailed: byAdapter(this.recordsFailed),
      deadLetters: sum(this.deadLettersTotal),
      batches,
      queueDepth: this.queueDepth,
      retries: byAdapter(this.retriesTotal),
      outageSeconds: byAdapter(this.outageSecondsTotal),
      dataAgeSeconds,
      processors: this.processorSnapshot(),
    };
  }

  private processorSnapshot(): MetricsSnapshot["processors"] {
    const processors: MetricsSnapshot["processors"] = {};
    for (const { labels, value } of this.processorIn.values.values()) {
      const processor = labels.processor ?? "";
      processors[processor] = {
        in: value,
        out: this.processorOut.get(labels),
        dropped: this.processorDropped.get(labels),
        rejected: this.processorRejected.get(labels),
      };
    }
    return processors;
  }

  /** Prometheus text exposition format (version 0.0.4). */
  prometheus(now = Date.now()): string {
    const pipeline = { pipeline: this.pipelineName };
    const lines: string[] = [];
    const counter = (name: string, help: string, values: LabelledValues) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const { labels, value } of values.values.values())
        lines.push(`${name}${render({ ...pipeline, ...labels })} ${value}`);
    };
    counter("qicore_records_in_total", "Records read from sources.", this.recordsIn);
    counter("qicore_records_out_total", "Records written by targets.", this.recordsOut);
    counter("qicore_records_failed_total", "Records an adapter failed to process.", this.recordsFailed);
    counter(
      "qicore_dead_letters_total",
      "Records sent to the dead-letter destination.",
      this.deadLettersTotal,
    );
    counter("qicore_processor_records_in_total", "Records processors took.", this.processorIn);
    counter("qicore_processor_records_out_total", "Records processors handed on.", this.processorOut);
    counter(
      "qicore_processor_records_dropped_total",
      "Records processors left out on purpose.",
      this.processorDropped,
    );
    counter(
      "qicore_processor_records_rejected_total",
      "Records processors refused (to the dead-letter destination).",
      this.processorRejected,
    );
    counter(
      "qicore_retries_total",
      "Failed attempts the runtime tried again, per adapter.",
      this.retriesTotal,
    );
    counter(
      "qicore_outage_seconds_total",
      "Seconds adapters spent retrying until a call passed (ended outages).",
      this.outageSecondsTotal,
    );
    lines.push(
      "# HELP qicore_queue_depth_records Records read but not yet written by every target.",
      "# TYPE qicore_queue_depth_records gauge",
    );
    lines.push(`qicore_queue_depth_records${render(pipeline)} ${this.queueDepth}`);
    lines.push(
      "# HELP qicore_batch_write_seconds Time to write one batch to a target.",
      "# TYPE qicore_batch_write_seconds histogram",
    );
    for (const entry of this.batchLatency.series.values()) {
      const labels = { ...pipeline, ...entry.labels };
      LATENCY_BUCKETS.forEach((bound, index) => {
        lines.push(
          `qicore_batch_write_seconds_bucket${render({ ...labels, le: String(bound) })} ${entry.counts[index]}`,
        );
      });
      lines.push(`qicore_batch_write_seconds_bucket${render({ ...labels, le: "+Inf" })} ${entry.count}`);
      lines.push(`qicore_batch_write_seconds_sum${render(labels)} ${entry.sum}`);
      lines.push(`qicore_batch_write_seconds_count${render(labels)} ${entry.count}`);
    }
    lines.push(
      "# HELP qicore_data_age_seconds Age of the newest record of each instrument (per exchange) that reached its targets.",
      "# TYPE qicore_data_age_seconds gauge",
    );
    for (const [series, iso] of this.newestBySeries) {
      lines.push(
        `qicore_data_age_seconds${render({ ...pipeline, ...seriesLabels(series) })} ${Math.max(0, (now - Date.parse(iso)) / 1000)}`,
      );
    }
    return `${lines.join("\n")}\n`;
  }
}

/** `{key="value",...}` with Prometheus' escapes, or nothing for no labels. */
export function renderLabels(labels: Labels): string {
  return render(labels);
}

function render(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  return `{${entries.map(([key, value]) => `${key}="${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`).join(",")}}`;
}

function sum(values: LabelledValues): number {
  let total = 0;
  for (const entry of values.values.values()) total += entry.value;
  return total;
}

function byAdapter(values: LabelledValues): Record<string, number> {
  const result: Record<string, number> = {};
  for (const { labels, value } of values.values.values()) result[labels.adapter ?? ""] = value;
  return result;
}

/** Upper bound of the bucket holding the q-quantile (a histogram's usual estimate). */
function quantile(cumulativeCounts: number[], total: number, q: number): number {
  if (total === 0) return 0;
  const rank = q * total;
  for (let index = 0; index < cumulativeCounts.length; index++) {
    if ((cumulativeCounts[index] as number) >= rank) return LATENCY_BUCKETS[index] as number;
  }
  return Number.POSITIVE_INFINITY;
}
