/**
 * The Grafana dashboard in docs/grafana against what /metrics really serves: a running
 * pipeline is scraped over HTTP, and every metric its PromQL names must be in the scrape, so
 * a renamed metric breaks this test rather than a user's panels. Also the dashboard's shape:
 * what Grafana needs to import it (uid, schemaVersion, panels with targets, the variables).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineSource } from "../adapters/define";
import { ADAPTER_CONTRACT_VERSION } from "../adapters/types";
import { createRegistry } from "../registry/registry";
import { serveMetrics } from "./http-server";
import { silentLogger } from "./logger";
import { Pipeline } from "./pipeline";
import { MemoryStateStore } from "./state-store";

const DASHBOARD = join(import.meta.dirname, "../../../../docs/grafana/qicore-pipeline.json");

interface Target {
  refId: string;
  expr: string;
  legendFormat?: string;
  datasource: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown }[] };
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as Dashboard;
const queries = dashboard.panels.filter((panel) => panel.type !== "row");
const expressions = queries.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
const metricNames = [...new Set(expressions.flatMap((expr) => expr.match(/\bqicore_[a-z0-9_]+\b/g) ?? []))];

/** A Kafka-like source whose health check reports lag per partition, as source-redpanda's does. */
const laggingSource = defineSource({
  name: "lagging",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema: z.object({}),
  capabilities: { kinds: ["price"], trusted: true },
  create: () => ({
    // Reads nothing until stopped: the pipeline keeps running, so its health checks run.
    async *read({ signal }) {
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    },
    async healthCheck() {
      return { status: "healthy" as const, details: { lag: { "prices/0": 12, "prices/1": 0 } } };
    },
  }),
});

/** Label names each sample name carries in a scrape. */
function scrapedLabels(text: string): Map<string, Set<string>> {
  const labels = new Map<string, Set<string>>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const name = line.split(/[{ ]/)[0] as string;
    const names = labels.get(name) ?? new Set<string>();
    for (const match of line.matchAll(/[{,]([a-zA-Z_][a-zA-Z0-9_]*)="/g)) names.add(match[1] as string);
    labels.set(name, names);
  }
  return labels;
}

/** Sample names in a scrape, and the families its TYPE lines declare (a histogram's with its suffixes). */
function scrapedNames(text: string): { samples: Set<string>; families: Set<string> } {
  const samples = new Set<string>();
  const families = new Set<string>();
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      const name = type[1] as string;
      families.add(name);
      if (type[2] === "histogram")
        for (const suffix of ["_bucket", "_sum", "_count"]) families.add(name + suffix);
    } else if (line !== "" && !line.startsWith("#")) samples.add(line.split(/[{ ]/)[0] as string);
  }
  return { samples, families };
}

describe("the Grafana dashboard (docs/grafana/qicore-pipeline.json)", () => {
  it("has the shape Grafana imports: uid, schemaVersion, panels with targets on the chosen data source", () => {
    expect(dashboard.uid).toBe("qicore-pipeline");
    expect(dashboard.title.length).toBeGreaterThan(0);
    expect(Number.isInteger(dashboard.schemaVersion) && dashboard.schemaVersion >= 36).toBe(true);
    expect(queries.length).toBeGreaterThanOrEqual(8);
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of queries) {
      expect(panel.title.length, `panel ${panel.id}`).toBeGreaterThan(0);
      expect(panel.gridPos.w, panel.title).toBeGreaterThan(0);
      expect(panel.datasource, panel.title).toEqual({ type: "prometheus", uid: "${datasource}" });
      expect(panel.targets?.length ?? 0, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.datasource, panel.title).toEqual({ type: "prometheus", uid: "${datasource}" });
        expect(target.refId, panel.title).toMatch(/^[A-Z]$/);
        // Every query is limited to the pipelines chosen in the variable.
        expect(target.expr, panel.title).toContain('pipeline=~"$pipeline"');
      }
    }
    const variables = Object.fromEntries(dashboard.templating.list.map((entry) => [entry.name, entry]));
    expect(variables.datasource).toMatchObject({ type: "datasource", query: "prometheus" });
    expect(variables.pipeline).toMatchObject({
      type: "query",
      query: { query: "label_values(qicore_records_in_total, pipeline)" },
    });
  });

  it("shows throughput, failures, dead letters, retries, latency, lag and freshness", () => {
    expect(metricNames).toEqual(
      expect.arrayContaining([
        "qicore_records_in_total",
        "qicore_records_out_total",
        "qicore_records_failed_total",
        "qicore_dead_letters_total",
        "qicore_retries_total",
        "qicore_batch_write_seconds_bucket",
        "qicore_consumer_lag_messages",
        "qicore_data_age_seconds",
      ]),
    );
    expect(
      expressions.some((expr) => /histogram_quantile\(0\.99,.*qicore_batch_write_seconds_bucket/.test(expr)),
    ).toBe(true);
    // Counters are only ever read as rates or increases, never as raw totals.
    for (const expr of expressions) {
      for (const counter of expr.match(/\bqicore_[a-z0-9_]+_total\b/g) ?? [])
        expect(expr, expr).toMatch(new RegExp(`(rate|increase)\\(${counter}\\{`));
    }
  });

  it("names only metrics a running pipeline's /metrics serves", async () => {
    const loaded = await Pipeline.fromConfig(
      {
        name: "grafana",
        sources: [
          {
            id: "gen",
            type: "synthetic",
            config: { coins: ["bitcoin", "ethereum"], count: 200, batchSize: 20 },
          },
          { id: "kafka", type: "lagging", config: {} },
        ],
        targets: [{ id: "mem", type: "memory", config: { store: `grafana-${Date.now()}`, keep: false } }],
      },
      { registry: createRegistry(laggingSource), logger: silentLogger, stateStore: new MemoryStateStore() },
    );
    if (!loaded.ok) throw loaded.error;
    const pipeline = loaded.value;
    const initialized = await pipeline.initialize();
    if (!initialized.ok) throw initialized.error;
    const server = await serveMetrics(pipeline, { port: 0 });
    try {
      const started = await pipeline.start();
      if (!started.ok) throw started.error;
      await expect.poll(() => pipeline.metrics.totalOut()).toBe(200);
      const response = await fetch(`${server.url}/metrics`);
      expect(response.status).toBe(200);
      const text = await response.text();
      const { samples, families } = scrapedNames(text);
      for (const name of metricNames) expect(families.has(name) || samples.has(name), name).toBe(true);
      // What a running pipeline always has, with samples: throughput, latency, freshness, lag.
      for (const name of [
        "qicore_records_in_total",
        "qicore_records_out_total",
        "qicore_batch_write_seconds_bucket",
        "qicore_data_age_seconds",
        "qicore_dead_letters_total",
        "qicore_queue_depth_records",
      ])
        expect(samples.has(name), name).toBe(true);
      expect(text).toContain(
        'qicore_consumer_lag_messages{pipeline="grafana",adapter="kafka",topic="prices",partition="0"} 12',
      );
      expect(text).toContain(
        'qicore_data_age_seconds{pipeline="grafana",exchange="aggregate",instrument="bitcoin"}',
      );
      // Every label a panel groups by or shows in its legend is one the metric carries: a
      // renamed label would otherwise leave the panel's series merged or its legend blank.
      const served = scrapedLabels(text);
      for (const target of queries.flatMap((panel) => panel.targets ?? [])) {
        const grouped = [...target.expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap((match) =>
          (match[1] as string).split(",").map((label) => label.trim()),
        );
        const shown = [...(target.legendFormat ?? "").matchAll(/\{\{(\w+)\}\}/g)].map(
          (match) => match[1] as string,
        );
        for (const metric of target.expr.match(/\bqicore_[a-z0-9_]+\b/g) ?? []) {
          const labels = served.get(metric);
          if (labels === undefined) continue; // no sample in this run (failures, retries): names checked above
          for (const label of [...grouped, ...shown])
            expect(labels.has(label), `${metric} ${label}`).toBe(true);
        }
      }
    } finally {
      await server.close();
      await pipeline.destroy();
    }
  });
});
