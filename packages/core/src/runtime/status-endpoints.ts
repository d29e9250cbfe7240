import type { IncomingMessage, ServerResponse } from "node:http";
import { foreignRequestReason } from "./local-requests";
import type { Pipeline } from "./pipeline";
import { pipelineStatus } from "./status";
import { parseTapQuery, streamTap } from "./tap-stream";

/**
 * `GET /status` (the pipeline's status as JSON, what `qicore top` shows) and `GET /tap`
 * (records at a stage as Server-Sent Events, what `qicore tap` prints), beside the metrics
 * server's /metrics and /health. Returns false for any other path.
 */
export function serveStatusEndpoints(
  pipeline: Pipeline,
  request: IncomingMessage,
  response: ServerResponse,
  loopbackOnly: boolean,
): boolean {
  const url = new URL(request.url ?? "/", "http://localhost");
  if (url.pathname !== "/status" && url.pathname !== "/tap") return false;
  // They carry the pipeline's data: on loopback, refuse what a web page could make a browser send.
  const refused = loopbackOnly ? foreignRequestReason(request.headers) : undefined;
  if (refused) {
    response.writeHead(403, { "content-type": "text/plain" }).end(`forbidden: ${refused}\n`);
    return true;
  }
  if (url.pathname === "/status") {
    if (url.search.length > 1) {
      response.writeHead(400, { "content-type": "text/plain" }).end("/status takes no parameters\n");
      return true;
    }
    pipelineStatus(pipeline).then(
      (status) =>
        response
          .writeHead(200, { "content-type": "application/json", "cache-control": "no-store" })
          .end(JSON.stringify(status)),
      (thrown: Error) =>
        response.writeHead(500, { "content-type": "text/plain" }).end(`status failed: ${thrown.message}\n`),
    );
    return true;
  }
  const tap = parseTapQuery(url.searchParams, pipeline);
  if (typeof tap === "string") {
    response.writeHead(400, { "content-type": "text/plain" }).end(`bad tap request: ${tap}\n`);
    return true;
  }
  streamTap(pipeline, tap, request, response);
  return true;
}
