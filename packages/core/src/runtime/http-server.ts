import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { consumerLagExposition } from "./lag-metrics";
import { isLoopbackHost } from "./local-requests";
import type { Pipeline } from "./pipeline";
import { lastAdapterHealth } from "./status";
import { serveStatusEndpoints } from "./status-endpoints";

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves a pipeline's health and metrics over HTTP:
 * `/metrics` (Prometheus text), `/health/live` and `/health/ready` (200 or 503 with
 * the reasons as JSON), `/status` (JSON for `qicore top`) and `/tap` (records as
 * Server-Sent Events for `qicore tap`). Binds to loopback unless told otherwise.
 */
export async function serveMetrics(
  pipeline: Pipeline,
  options: { host?: string; port?: number } = {},
): Promise<MetricsServer> {
  const loopbackOnly = isLoopbackHost(options.host ?? "127.0.0.1");
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET") {
      response.writeHead(405, { allow: "GET" }).end();
      return;
    }
    if (path === "/metrics") {
      // The lag gauge comes from the adapters' health checks, cached like /status's.
      void lastAdapterHealth(pipeline)
        .catch(() => undefined)
        .then((health) => {
          response
            .writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" })
            .end(pipeline.metrics.prometheus() + consumerLagExposition(pipeline.name, health));
        });
      return;
    }
    if (path === "/health/live" || path === "/health/ready" || path === "/health") {
      const health = pipeline.health();
      const healthy = path === "/health/live" ? health.live : health.ready;
      response
        .writeHead(healthy ? 200 : 503, { "content-type": "application/json" })
        .end(JSON.stringify(health));
      return;
    }
    if (serveStatusEndpoints(pipeline, request, response, loopbackOnly)) return;
    response
      .writeHead(404, { "content-type": "text/plain" })
      .end("not found: try /metrics, /health/live, /health/ready, /status or /tap\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 9464, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Open taps are long-lived streams: end them rather than wait for their readers.
        server.closeAllConnections();
      }),
  };
}
