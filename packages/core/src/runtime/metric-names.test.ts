/**
 * The metric names against Prometheus' naming conventions (what `promtool check metrics`
 * lints, https://prometheus.io/docs/practices/naming/): snake_case under one namespace, a
 * unit suffix in its base unit and plural, `_total` on counters and only on counters,
 * `_bucket`/`_sum`/`_count` only on histograms, HELP and TYPE for every family. The list of
 * families is spelt out, so a rename is a visible change here and in the Grafana dashboard.
 */
import { describe, expect, it } from "vitest";
import { consumerLagExposition } from "./lag-metrics";
import { PipelineMetrics } from "./metrics";

interface Family {
  name: string;
  type: string;
  help: string | undefined;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

function families(text: string): Map<string, Family> {
  const found = new Map<string, Family>();
  const helps = new Map<string, string>();
  let current: Family | undefined;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const help = /^# HELP (\S+) (.+)$/.exec(line);
    if (help) {
      helps.set(help[1] as string, help[2] as string);
      continue;
    }
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      const name = type[1] as string;
      current = { name, type: type[2] as string, help: helps.get(name), samples: [] };
      found.set(name, current);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const match of (sample[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[match[1] as string] = match[2] as string;
    if (!current) throw new Error(`sample before any TYPE: ${line}`);
    current.samples.push({ name: sample[1] as string, labels, value: Number(sample[3]) });
  }
  return found;
}

/** Units a gauge or a histogram may end in: base units, plural. */
const UNITS = ["seconds", "bytes", "records", "ratio", "messages"];

function busyMetrics(): PipelineMetrics {
  const metrics = new PipelineMetrics("naming");
  metrics.countIn("gen", 10);
  metrics.countOut("db", 9);
  metrics.countFailed("db", 1);
  metrics.countDeadLetters(1);
  metrics.countRetry("db");
  metrics.addOutageSeconds("db", 1.5);
  metrics.observeBatch("db", 0.02);
  metrics.setQueueDepth(3);
  metrics.noteNewest("bitcoin", "2024-01-01T00:00:00.000Z");
  metrics.noteNewest("binance:BTCUSDT", "2024-01-01T00:00:30.000Z");
  // Processors' counters (a newer part of the runtime), when this core has them.
  const processing = metrics as unknown as {
    countProcessed?: (id: string, counts: Record<string, number>) => void;
  };
  processing.countProcessed?.("gen/candles", { in: 4, out: 1, dropped: 2, rejected: 1 });
  return metrics;
}

/** What /metrics serves: the runtime's families, then the lag gauge from the health checks. */
function scrape(now?: number): string {
  const lag = { kafka: { status: "healthy" as const, details: { lag: { "prices/0": 3, "prices/1": 0 } } } };
  return busyMetrics().prometheus(now) + consumerLagExposition("naming", lag);
}

describe("metric names", () => {
  const exposition = families(scrape(Date.parse("2024-01-01T00:01:00Z")));

  it("include the families the dashboards and the MCP server read", () => {
    expect([...exposition.values()].map((family) => `${family.name} ${family.type}`)).toEqual(
      expect.arrayContaining([
        "qicore_records_in_total counter",
        "qicore_records_out_total counter",
        "qicore_records_failed_total counter",
        "qicore_dead_letters_total counter",
        "qicore_retries_total counter",
        "qicore_outage_seconds_total counter",
        "qicore_queue_depth_records gauge",
        "qicore_batch_write_seconds histogram",
        "qicore_data_age_seconds gauge",
        "qicore_consumer_lag_messages gauge",
      ]),
    );
  });

  for (const family of families(scrape())) {
    const [name, { type, help, samples }] = family;
    it(`${name} follows the conventions`, () => {
      expect(name).toMatch(/^qicore_[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
      expect(help?.length ?? 0).toBeGreaterThan(10);
      if (type === "counter") expect(name).toMatch(/_total$/);
      else expect(name).not.toMatch(/_total$/);
      if (type !== "counter") expect(UNITS.some((unit) => name.endsWith(`_${unit}`))).toBe(true);
      // Times in seconds, never milliseconds or minutes.
      expect(name).not.toMatch(/_(ms|milliseconds|minutes|hours)(_|$)/);
      // Whole words: "messages" holds "age" too.
      if (/_(age|latency|duration|outage)(_|$)/.test(name)) expect(name).toMatch(/_seconds(_total)?$/);
      expect(samples.length).toBeGreaterThan(0);
      for (const sample of samples) {
        expect(sample.labels.pipeline).toBe("naming");
        for (const label of Object.keys(sample.labels)) expect(label).toMatch(/^[a-z][a-z0-9_]*$/);
        if (type === "histogram") {
          expect([`${name}_bucket`, `${name}_sum`, `${name}_count`]).toContain(sample.name);
        } else {
          expect(sample.name).toBe(name);
          expect(sample.labels.le).toBeUndefined();
        }
      }
      if (type === "histogram") {
        const bounds = samples.filter((sample) => sample.name.endsWith("_bucket")).map((s) => s.labels.le);
        expect(bounds.at(-1)).toBe("+Inf");
        const finite = bounds.slice(0, -1).map(Number);
        expect(finite).toEqual([...finite].sort((a, b) => a - b));
      }
    });
  }

  it("labels the data age by exchange and instrument, each one dimension (no coin label, no venue:instrument values)", () => {
    const age = exposition.get("qicore_data_age_seconds");
    expect(age?.samples.map((sample) => sample.labels)).toEqual([
      { pipeline: "naming", exchange: "aggregate", instrument: "bitcoin" },
      { pipeline: "naming", exchange: "binance", instrument: "BTCUSDT" },
    ]);
    expect(age?.samples.map((sample) => sample.value)).toEqual([60, 30]);
  });

  it("exports the dead-letter counter at 0 before the first dead letter", () => {
    const idle = new PipelineMetrics("idle").prometheus();
    expect(idle).toContain('qicore_dead_letters_total{pipeline="idle"} 0');
  });
});
