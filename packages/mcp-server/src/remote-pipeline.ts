import { err, type MetricsSnapshot, ok, type QiError, qiError, type Result } from "@qicore/core";

/**
 * What pipeline_status reports of a pipeline's metrics, from this process or over HTTP: the
 * core's snapshot, rebuilt from the Prometheus text when the pipeline runs elsewhere.
 */
export type MetricsView = MetricsSnapshot;

/** The health and metrics a `qicore run` process serves on its metrics endpoint. */
export interface RemotePipelineStatus {
  url: string;
  live: boolean;
  ready: boolean;
  state: string;
  reasons: string[];
  metrics: MetricsView;
}

/**
 * Reads `/health` and `/metrics` of the pipeline process the file's `metrics` section
 * points at (`qicore run` serves them), so a server that does not run the pipeline
 * itself still reports its state, metrics and lag.
 */
export async function fetchPipelineStatus(
  endpoint: { host: string; port: number },
  timeoutMs = 2_000,
): Promise<Result<RemotePipelineStatus, QiError>> {
  // A pipeline listening on every address is reachable on loopback.
  const host = endpoint.host === "0.0.0.0" || endpoint.host === "::" ? "127.0.0.1" : endpoint.host;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${endpoint.port}`;
  try {
    const signal = AbortSignal.timeout(timeoutMs);
    const [health, metrics] = await Promise.all([
      fetch(`${url}/health`, { signal }),
      fetch(`${url}/metrics`, { signal }),
    ]);
    if (!metrics.ok) throw new Error(`/metrics answered ${metrics.status}`);
    const body = (await health.json()) as {
      live?: unknown;
      ready?: unknown;
      state?: unknown;
      reasons?: unknown;
    };
    return ok({
      url,
      live: body.live === true,
      ready: body.ready === true,
      state: typeof body.state === "string" ? body.state : "unknown",
      reasons: Array.isArray(body.reasons) ? body.reasons.map(String) : [],
      metrics: parsePrometheus(await metrics.text()),
    });
  } catch (thrown) {
    const reason =
      (thrown as Error).name === "TimeoutError"
        ? `no answer within ${timeoutMs} ms`
        : (thrown as Error).message;
    return err(
      qiError(
        "NETWORK_ERROR",
        `the pipeline's metrics endpoint ${url} does not answer (${reason}): is \`qicore run\` running?`,
        { context: { url }, cause: thrown },
      ),
    );
  }
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The QiCore series of a Prometheus text exposition (what PipelineMetrics.prometheus() writes). */
export function parsePrometheus(text: string): MetricsView {
  const view: MetricsView = {
    recordsIn: {},
    recordsOut: {},
    recordsFailed: {},
    deadLetters: 0,
    batches: {},
    queueDepth: 0,
    retries: {},
    outageSeconds: {},
    dataAgeSeconds: {},
    processors: {},
  };
  const buckets = new Map<string, { bound: number; count: number }[]>();
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = SAMPLE.exec(line.trim());
    if (!match) continue;
    const [, name, labelText = "", valueText = ""] = match;
    const value = Number(valueText);
    if (!Number.isFinite(value) && valueText !== "+Inf") continue;
    const labels: Record<string, string> = {};
    for (const label of labelText.matchAll(LABEL)) {
      labels[label[1] as string] = (label[2] as string).replace(/\\(.)/g, (_, escaped: string) =>
        escaped === "n" ? "\n" : escaped,
      );
    }
    const adapter = labels.adapter ?? "";
    const batch = () => {
      view.batches[adapter] ??= { count: 0, sumSeconds: 0, p50Seconds: 0, p99Seconds: 0 };
      return view.batches[adapter];
    };
    switch (name) {
      case "qicore_records_in_total":
        view.recordsIn[adapter] = value;
        break;
      case "qicore_records_out_total":
        view.recordsOut[adapter] = value;
        break;
      case "qicore_records_failed_total":
        view.recordsFailed[adapter] = value;
        break;
      case "qicore_dead_letters_total":
        view.deadLetters += value;
        break;
      case "qicore_retries_total":
        view.retries[adapter] = value;
        break;
      case "qicore_outage_seconds_total":
        view.outageSeconds[adapter] = value;
        break;
      case "qicore_queue_depth_records":
        view.queueDepth = value;
        break;
      case "qicore_processor_records_in_total":
      case "qicore_processor_records_out_total":
      case "qicore_processor_records_dropped_total":
      case "qicore_processor_records_rejected_total": {
        const processor = labels.processor ?? "";
        view.processors[processor] ??= { in: 0, out: 0, dropped: 0, rejected: 0 };
        const field = name.slice("qicore_processor_records_".length, -"_total".length) as
          | "in"
          | "out"
          | "dropped"
          | "rejected";
        view.processors[processor][field] = value;
        break;
      }
      case "qicore_data_age_seconds": {
        // Back to the snapshot's series names (`bitcoin`, `binance:BTCUSDT`); `coin` is the label
        // cores before the exchange/instrument rename served.
        const { exchange, instrument } = labels;
        const series =
          instrument === undefined
            ? labels.coin
            : exchange === undefined || exchange === "aggregate"
              ? instrument
              : `${exchange}:${instrument}`;
        if (series !== undefined) view.dataAgeSeconds[series] = value;
        break;
      }
      case "qicore_batch_write_seconds_sum":
        batch().sumSeconds = value;
        break;
      case "qicore_batch_write_seconds_count":
        batch().count = value;
        break;
      case "qicore_batch_write_seconds_bucket": {
        const bound = labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(labels.le);
        const list = buckets.get(adapter) ?? [];
        list.push({ bound, count: value });
        buckets.set(adapter, list);
        break;
      }
    }
  }
  for (const [adapter, list] of buckets) {
    const entry = view.batches[adapter];
    if (!entry || entry.count === 0) continue;
    const sorted = list.filter((bucket) => Number.isFinite(bucket.bound)).sort((a, b) => a.bound - b.bound);
    // A histogram's usual estimate: the upper bound of the bucket holding the quantile.
    const quantile = (q: number) =>
      sorted.find((bucket) => bucket.count >= q * entry.count)?.bound ?? Number.POSITIVE_INFINITY;
    entry.p50Seconds = quantile(0.5);
    entry.p99Seconds = quantile(0.99);
  }
  return view;
}
