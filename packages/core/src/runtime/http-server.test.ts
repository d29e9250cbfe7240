import { describe, expect, it } from "vitest";
import { createRegistry } from "../registry/registry";
import { serveMetrics } from "./http-server";
import { silentLogger } from "./logger";
import { Pipeline } from "./pipeline";
import { MemoryStateStore } from "./state-store";

describe("serveMetrics", () => {
  it("serves Prometheus metrics and health over real HTTP on loopback", async () => {
    const loaded = await Pipeline.fromConfig(
      {
        name: "http",
        sources: [{ id: "gen", type: "synthetic", config: { coins: ["bitcoin"], count: 100 } }],
        targets: [{ id: "mem", type: "memory", config: { store: `http-${Date.now()}` } }],
        health: { freshness: { maxAge: "1h" } },
      },
      { registry: createRegistry(), logger: silentLogger, stateStore: new MemoryStateStore() },
    );
    if (!loaded.ok) throw loaded.error;
    const pipeline = loaded.value;
    await pipeline.initialize();
    const server = await serveMetrics(pipeline, { port: 0 });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      await pipeline.run();
      const metrics = await fetch(`${server.url}/metrics`);
      expect(metrics.headers.get("content-type")).toContain("text/plain");
      expect(await metrics.text()).toMatch(/qicore_records_out_total\{pipeline="http",adapter="mem"\} 100/);
      const live = await fetch(`${server.url}/health/live`);
      expect(live.status).toBe(200);
      // The synthetic data is from 2024: older than the freshness limit, so not ready.
      const ready = await fetch(`${server.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { reasons: string[] }).reasons.join()).toMatch(
        /bitcoin data is \d+s old/,
      );
      expect((await fetch(`${server.url}/nope`)).status).toBe(404);
      expect((await fetch(`${server.url}/metrics`, { method: "POST" })).status).toBe(405);
    } finally {
      await server.close();
      await pipeline.destroy();
    }
  });
});
