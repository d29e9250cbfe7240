import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  defaultRegistry,
  loadPipelineConfig,
  MemoryStateStore,
  Pipeline,
  PipelineMetrics,
  serveMetrics,
  silentLogger,
} from "@qicore/core";
import { describe, expect, it } from "vitest";
import { callOk, connectHttp } from "../test-support/clients";
import { fetchPipelineStatus, parsePrometheus } from "./remote-pipeline";
import { startMcpServer } from "./start";

describe("parsePrometheus", () => {
  it("reads back what PipelineMetrics writes", () => {
    const metrics = new PipelineMetrics('odd "name"');
    metrics.countIn("gen", 1200);
    metrics.countOut("db", 1100);
    metrics.countOut("mem", 1200);
    metrics.countFailed("db", 3);
    metrics.countDeadLetters(3);
    metrics.setQueueDepth(97);
    metrics.countRetry("db");
    metrics.countRetry("db");
    metrics.addOutageSeconds("db", 4.5);
    for (const seconds of [0.004, 0.02, 0.02, 0.3, 2]) metrics.observeBatch("db", seconds);
    const now = Date.parse("2024-01-01T00:10:00Z");
    metrics.countProcessed("gen/candles", { in: 1200, out: 40, dropped: 2, rejected: 1 });
    metrics.noteNewest("bitcoin", "2024-01-01T00:09:30.000Z");
    metrics.noteNewest("usd-coin", "2024-01-01T00:05:00.000Z");
    metrics.noteNewest("binance:BTCUSDT", "2024-01-01T00:09:50.000Z");
    const parsed = parsePrometheus(metrics.prometheus(now));
    const snapshot = metrics.snapshot(now);
    expect(parsed).toEqual({
      recordsIn: snapshot.recordsIn,
      recordsOut: snapshot.recordsOut,
      recordsFailed: snapshot.recordsFailed,
      deadLetters: 3,
      queueDepth: 97,
      retries: { db: 2 },
      outageSeconds: { db: 4.5 },
      dataAgeSeconds: { bitcoin: 30, "usd-coin": 300, "binance:BTCUSDT": 10 },
      batches: { db: { ...snapshot.batches.db } },
      processors: { "gen/candles": { in: 1200, out: 40, dropped: 2, rejected: 1 } },
    });
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe("pipeline_status of a pipeline running in another process", () => {
  it("reports the state, metrics and lag its metrics endpoint serves", async () => {
    const port = await freePort();
    const config = {
      name: "remote",
      sources: [
        { id: "gen", type: "synthetic", config: { coins: ["bitcoin"], ratePerSecond: 200, batchSize: 20 } },
      ],
      targets: [{ id: "mem", type: "memory", config: { store: "remote-status" } }],
      delivery: { batch: { maxRecords: 20, maxWait: "20ms" } },
      metrics: { host: "127.0.0.1", port },
    };
    const folder = mkdtempSync(join(tmpdir(), "qicore-remote-"));
    // The "other process": a pipeline serving /metrics and /health like `qicore run` does.
    const running = await Pipeline.fromConfig(config, {
      registry: defaultRegistry(),
      logger: silentLogger,
      stateStore: new MemoryStateStore(),
      baseDir: folder,
    });
    if (!running.ok) throw running.error;
    const pipeline = running.value;
    const started = await pipeline.start();
    if (!started.ok) throw started.error;
    const endpoint = await serveMetrics(pipeline, { port });

    const loaded = await loadPipelineConfig(config, { registry: defaultRegistry(), baseDir: folder });
    if (!loaded.ok) throw loaded.error;
    const server = await startMcpServer({
      config: loaded.value,
      transport: "http",
      port: 0,
      logger: silentLogger,
    });
    if (!server.ok) throw server.error;
    const client = await connectHttp(server.value.url as string);
    try {
      type Status = {
        mode: string;
        state: string;
        metricsFrom: string | null;
        ready: boolean;
        metrics: { recordsIn: Record<string, number>; recordsOut: Record<string, number> } | null;
        lag: { queueDepthRecords: number | null };
      };
      await expect
        .poll(async () => (await callOk<Status>(client, "pipeline_status")).metrics?.recordsOut.mem ?? 0)
        .toBeGreaterThan(0);
      const status = await callOk<Status>(client, "pipeline_status");
      expect(status).toMatchObject({
        mode: "serving",
        state: "running",
        metricsFrom: endpoint.url,
        ready: true,
      });
      expect(status.metrics?.recordsIn.gen).toBeGreaterThanOrEqual(status.metrics?.recordsOut.mem ?? 0);
      expect(status.lag.queueDepthRecords).toEqual(expect.any(Number));

      await endpoint.close();
      await pipeline.destroy();
      const gone = await callOk<Status & { reasons: string[] }>(client, "pipeline_status");
      expect(gone.ready).toBe(false);
      expect(gone.state).toBe("unknown");
      expect(gone.reasons.join(" ")).toContain(
        `the pipeline's metrics endpoint http://127.0.0.1:${port} does not answer`,
      );
    } finally {
      await client.close();
      await server.value.close();
      await endpoint.close().catch(() => undefined);
      await pipeline.destroy();
    }
  });

  it("says so when nothing listens", async () => {
    const port = await freePort();
    const result = await fetchPipelineStatus({ host: "0.0.0.0", port }, 500);
    expect(!result.ok && result.error.message).toContain(`http://127.0.0.1:${port} does not answer`);
    expect(!result.ok && result.error.message).toContain("is `qicore run` running?");
  });
});
