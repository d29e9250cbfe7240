import { request as httpRequest } from "node:http";
import { describe, expect, it } from "vitest";
import { createRegistry } from "../registry/registry";
import { serveMetrics } from "./http-server";
import { silentLogger } from "./logger";
import { Pipeline } from "./pipeline";
import { MemoryStateStore } from "./state-store";
import type { PipelineStatus } from "./status";
import { openTaps } from "./tap";

async function runningPipeline(name: string): Promise<Pipeline> {
  const loaded = await Pipeline.fromConfig(
    {
      name,
      sources: [
        {
          id: "gen",
          type: "synthetic",
          config: { coins: ["bitcoin", "ethereum"], ratePerSecond: 400, batchSize: 20 },
        },
      ],
      targets: [{ id: "mem", type: "memory", config: { store: name, keep: false } }],
      delivery: { batch: { maxRecords: 20, maxWait: "10ms" } },
      health: { freshness: { maxAge: "1h" } },
    },
    { registry: createRegistry(), logger: silentLogger, stateStore: new MemoryStateStore() },
  );
  if (!loaded.ok) throw loaded.error;
  const started = await loaded.value.start();
  if (!started.ok) throw started.error;
  return loaded.value;
}

/** A raw request, so the Host and Origin headers are exactly the ones given. */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers }, (response) => {
      let body = "";
      response.on("data", (chunk) => {
        body += chunk;
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("error", reject);
    request.end();
  });
}

/** Reads Server-Sent Events until `end` (or `count` records). */
async function readEvents(url: string, count: number): Promise<{ event: string; data: unknown }[]> {
  const response = await fetch(url);
  expect(response.headers.get("content-type")).toContain("text/event-stream");
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: { event: string; data: unknown }[] = [];
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    let boundary = text.indexOf("\n\n");
    while (boundary >= 0) {
      const block = text.slice(0, boundary);
      text = text.slice(boundary + 2);
      const event = /^event: (.+)$/m.exec(block)?.[1];
      const data = /^data: (.+)$/m.exec(block)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) });
      boundary = text.indexOf("\n\n");
    }
    if (events.some((entry) => entry.event === "end") || events.length >= count) break;
  }
  await reader.cancel().catch(() => undefined);
  return events;
}

describe("GET /status and GET /tap of the metrics server", () => {
  it("serve the status as JSON and records at a stage as Server-Sent Events", async () => {
    const pipeline = await runningPipeline(`status-${Date.now()}`);
    const server = await serveMetrics(pipeline, { port: 0 });
    try {
      await expect.poll(() => pipeline.metrics.totalOut()).toBeGreaterThan(0);
      const status = (await (await fetch(`${server.url}/status`)).json()) as PipelineStatus;
      expect(status).toMatchObject({
        pipeline: pipeline.name,
        state: "running",
        sources: [{ id: "gen", role: "source", type: "synthetic" }],
        targets: [{ id: "mem", role: "target", type: "memory" }],
        staleAfterSeconds: 3600,
      });
      expect(status.metrics.recordsIn.gen).toBeGreaterThan(0);
      expect(status.freshness.map((entry) => entry.series)).toEqual(["bitcoin", "ethereum"]);
      // The synthetic records are from 2024: older than the hour the pipeline allows.
      expect(status.freshness.every((entry) => entry.stale === true)).toBe(true);
      expect(status.targets[0]?.health?.status).toBe("healthy");

      const events = await readEvents(`${server.url}/tap?source=gen&instrument=ethereum&limit=5`, 5);
      const records = events.filter((entry) => entry.event === "record");
      expect(records).toHaveLength(5);
      for (const { data } of records) {
        expect(data).toMatchObject({
          stage: "source",
          adapter: "gen",
          kind: "price",
          record: { coinId: "ethereum" },
        });
      }
      expect(events.at(-1)).toMatchObject({ event: "end", data: { reason: "limit", records: 5 } });

      const written = await readEvents(`${server.url}/tap?target=mem&limit=3`, 3);
      expect(written.filter((entry) => entry.event === "record").map((entry) => entry.data)).toEqual([
        expect.objectContaining({ stage: "target", adapter: "mem" }),
        expect.objectContaining({ stage: "target", adapter: "mem" }),
        expect.objectContaining({ stage: "target", adapter: "mem" }),
      ]);
    } finally {
      await server.close();
      await pipeline.destroy();
    }
  });

  it("refuse malformed taps, and requests a web page could send on loopback", async () => {
    const pipeline = await runningPipeline(`status-refusals-${Date.now()}`);
    const server = await serveMetrics(pipeline, { port: 0 });
    const port = new URL(server.url).port;
    try {
      for (const [query, message] of [
        ["source=nope", 'the pipeline has no source "nope"; its sources: gen'],
        ["source=gen&target=mem", "give source or target, not both"],
        ["kind=candles", 'unknown kind "candles"'],
        ["limit=0", "limit must be a whole number from 1 to 100000"],
        ["limit=12abc", "limit must be a whole number"],
        ["rate=99999999", "rate must be a whole number from 1 to 10000"],
        ["instrument=%3Cscript%3E", "is not an instrument or series name"],
        ["sql=1", 'unknown parameter "sql"'],
        ["limit=1&limit=2", '"limit" may be given once'],
      ] as const) {
        const answer = await get(`${server.url}/tap?${query}`, { host: `127.0.0.1:${port}` });
        expect(answer.status, query).toBe(400);
        expect(answer.body, query).toContain(message);
      }
      const rebound = await get(`${server.url}/status`, { host: `attacker.example:${port}` });
      expect(rebound).toEqual({
        status: 403,
        body: "forbidden: the Host header is not a loopback address\n",
      });
      const crossSite = await get(`${server.url}/tap`, {
        host: `localhost:${port}`,
        origin: "https://attacker.example",
      });
      expect(crossSite.status).toBe(403);
      expect(crossSite.body).toContain("cross-origin requests are not accepted");
      const sameMachine = await get(`${server.url}/status`, {
        host: `localhost:${port}`,
        origin: `http://localhost:${port}`,
      });
      expect(sameMachine.status).toBe(200);
      // Prometheus scrapes keep working whatever Host they send.
      expect((await get(`${server.url}/metrics`, { host: `prometheus.internal:${port}` })).status).toBe(200);
      expect((await get(`${server.url}/status?x=1`, { host: `127.0.0.1:${port}` })).status).toBe(400);
    } finally {
      await server.close();
      await pipeline.destroy();
    }
  });

  it("end a tap opened before the run started once the run is over", async () => {
    const loaded = await Pipeline.fromConfig(
      {
        name: `tap-before-start-${Date.now()}`,
        sources: [
          { id: "gen", type: "synthetic", config: { coins: ["bitcoin"], count: 2000, batchSize: 100 } },
        ],
        targets: [{ id: "mem", type: "memory", config: { store: `tap-before-${Date.now()}`, keep: false } }],
      },
      { registry: createRegistry(), logger: silentLogger, stateStore: new MemoryStateStore() },
    );
    if (!loaded.ok) throw loaded.error;
    const pipeline = loaded.value;
    const initialized = await pipeline.initialize();
    if (!initialized.ok) throw initialized.error;
    const server = await serveMetrics(pipeline, { port: 0 });
    try {
      // A limit the run cannot reach: only the end of the run ends this tap.
      const reading = readEvents(`${server.url}/tap?limit=100000&rate=10000`, 100_000);
      await expect.poll(() => openTaps(pipeline.metrics)).toBe(1);
      const summary = await pipeline.run();
      expect(summary.recordsOut.mem).toBe(2000);
      const events = await reading;
      expect(events.filter((entry) => entry.event === "record").length).toBeGreaterThan(0);
      expect(events.at(-1)).toMatchObject({ event: "end", data: { reason: "pipeline stopped" } });
    } finally {
      await server.close();
      await pipeline.destroy();
    }
  });
});
