import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  isLoopbackHost,
  type Logger,
  type Pipeline,
  pipelineStatus,
  type QiError,
  qiError,
} from "@qicore/core";
import { loadUiAssets, type UiAssets } from "./assets";
import { checkpointView } from "./data/checkpoints";
import { configView } from "./data/config-view";
import { DeadLetterFile, resendDeadLetters } from "./data/dead-letters";
import { pipelineGraph } from "./data/graph";
import { CANDLE_WIDTHS, Readers } from "./data/readers";
import { EventStreams } from "./http/event-streams";
import { BadRequest, queryOf, readJsonBody, replyError, replyJson } from "./http/replies";
import { checkDashboardSecurity, RequestGuard, TOKEN_COOKIE } from "./http/security";
import { readTokenFile } from "./http/token-file";

/** Largest request body taken (a re-send of selected dead letters is a list of ids). */
export const MAX_BODY_BYTES = 64 * 1024;
/** Dead letters re-sent per request at most. */
export const MAX_RESEND = 500;
/** How often the live counters are pushed over Server-Sent Events. */
export const EVENT_INTERVAL_MS = 1_000;
/** Live-update streams served at once by default; each holds a socket open as long as its page is. */
export const MAX_EVENT_STREAMS = 16;
/** URLs longer than this are refused. */
const MAX_URL_LENGTH = 2_048;

export interface DashboardOptions {
  pipeline: Pipeline;
  /** Default 127.0.0.1; any other address needs `token`. */
  host?: string;
  /** Default 4600; 0 picks a free port. */
  port?: number;
  /** At least 16 characters; required off loopback. */
  token?: string;
  /** A file holding the token (one line), instead of `token`: kept out of `ps` and the environment. */
  tokenFile?: string;
  logger: Logger;
  /** `run` when this process runs the pipeline (re-sends are possible), `stores` for `qicore ui`. */
  mode?: "run" | "stores";
  /** Values for `${VAR}` when the file is validated again; process.env when absent. */
  env?: Record<string, string | undefined>;
  /** Most `GET /api/events` streams at once; more get 503. Default MAX_EVENT_STREAMS. */
  maxEventStreams?: number;
  /** Folder of the built page (index.html, app.js, style.css); the package's dist/ui when absent. */
  uiDir?: string;
}

export interface RunningDashboard {
  url: string;
  close(): Promise<void>;
}

type Result<T> = { ok: true; value: T } | { ok: false; error: QiError };

/** Serves the dashboard of a pipeline: its page, its JSON endpoints and its live events. */
export async function startDashboard(options: DashboardOptions): Promise<Result<RunningDashboard>> {
  const host = options.host ?? "127.0.0.1";
  const token = await tokenOf(options);
  if (!token.ok) return token;
  const insecure = checkDashboardSecurity(host, token.value);
  if (insecure) return { ok: false, error: insecure };
  let assets: UiAssets;
  try {
    assets = await loadUiAssets(options.uiDir);
  } catch (thrown) {
    return { ok: false, error: qiError("CONFIG_INVALID", (thrown as Error).message) };
  }
  const { pipeline, logger } = options;
  const guard = new RequestGuard(isLoopbackHost(host), token.value);
  const mode = options.mode ?? "run";
  const env = options.env ?? process.env;
  const readers = new Readers(pipeline, logger);
  const { deadLetter } = pipeline.config.delivery;
  const deadLetters = new DeadLetterFile("path" in deadLetter ? deadLetter.path : undefined);
  const events = new EventStreams({
    maxStreams: options.maxEventStreams ?? MAX_EVENT_STREAMS,
    intervalMs: EVENT_INTERVAL_MS,
    next: async () => `event: status\ndata: ${JSON.stringify(await pipelineStatus(pipeline))}\n\n`,
  });

  const routes: Record<
    string,
    (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<void>
  > = {
    "GET /": async (_request, response, url) => {
      const token = queryOf(url, ["token"]).get("token");
      if (token !== null) {
        if (!guard.accepts(token)) return replyError(response, 401, "unauthorized: wrong token");
        response.writeHead(303, {
          location: "/",
          "set-cookie": `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
        });
        return void response.end();
      }
      sendText(response, "text/html; charset=utf-8", assets.html);
    },
    "GET /app.js": async (_request, response) =>
      sendText(response, "text/javascript; charset=utf-8", assets.script),
    "GET /style.css": async (_request, response) =>
      sendText(response, "text/css; charset=utf-8", assets.style),
    "GET /api/overview": async (_request, response, url) => {
      queryOf(url, []);
      const status = await pipelineStatus(pipeline);
      replyJson(response, 200, {
        mode,
        graph: pipelineGraph(pipeline.config),
        status,
        candleWidths: CANDLE_WIDTHS,
        readableTargets: readers.readable().map((spec) => spec.id),
      });
    },
    "GET /api/status": async (_request, response, url) => {
      queryOf(url, []);
      replyJson(response, 200, await pipelineStatus(pipeline));
    },
    "GET /api/events": async (request, response, url) => {
      queryOf(url, []);
      await events.open(request, response);
    },
    "GET /api/dead-letters": async (_request, response, url) => {
      const query = queryOf(url, ["offset"]);
      const offset = integer(query.get("offset") ?? "0", "offset");
      const described = pipeline.config.delivery.deadLetter;
      const destination = "path" in described ? `file ${described.path}` : `target "${described.target}"`;
      replyJson(response, 200, {
        ...(await deadLetters.page(destination, offset)),
        canResend: mode === "run",
      });
    },
    "POST /api/dead-letters/resend": async (request, response, url) => {
      queryOf(url, []);
      const body = await readJsonBody(request, MAX_BODY_BYTES);
      const ids = (body as { ids?: unknown } | null)?.ids;
      if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => Number.isSafeInteger(id) && id >= 0))
        throw new BadRequest(400, 'send { "ids": [<dead letter id>, ...] }');
      if (ids.length > MAX_RESEND)
        throw new BadRequest(413, `re-send at most ${MAX_RESEND} dead letters at once`);
      if (mode !== "run" || pipeline.status !== "running")
        return replyError(
          response,
          409,
          "re-sending needs the running pipeline: qicore run --ui <pipeline.yaml>",
        );
      replyJson(response, 200, { results: await resendDeadLetters(pipeline, deadLetters, ids as number[]) });
    },
    "GET /api/config": async (_request, response, url) => {
      queryOf(url, []);
      replyJson(response, 200, await configView(pipeline, env));
    },
    "GET /api/checkpoints": async (_request, response, url) => {
      queryOf(url, []);
      const described = pipeline.config.state;
      const location = described.store === "target" ? `target "${described.target}"` : described.path;
      replyJson(response, 200, await checkpointView(pipeline, location));
    },
    "GET /api/candles": async (_request, response, url) => {
      const query = queryOf(url, ["coin", "width", "target"]);
      const coin = query.get("coin");
      if (!coin || !/^[a-z0-9][a-z0-9._:-]{0,99}$/.test(coin))
        throw new BadRequest(400, "coin must be a coin id such as bitcoin");
      const answer = await readers.candles(
        query.get("target") ?? undefined,
        coin,
        query.get("width") ?? "1m",
      );
      if ("candles" in answer) return replyJson(response, 200, answer);
      replyError(response, answer.code === "CONFIG_INVALID" ? 400 : 502, answer.message);
    },
  };

  const server = createServer(async (request, response) => {
    try {
      if ((request.url ?? "").length > MAX_URL_LENGTH) throw new BadRequest(414, "the URL is too long");
      const refusal = guard.refusal(request);
      // The page itself may be opened with ?token= once; everything else needs it already.
      const url = new URL(request.url ?? "/", "http://dashboard.local");
      const openingWithToken =
        refusal?.status === 401 && url.pathname === "/" && url.searchParams.has("token");
      if (refusal && !openingWithToken) return replyError(response, refusal.status, refusal.message);
      const route = routes[`${request.method} ${url.pathname}`];
      if (!route) {
        const known = Object.keys(routes).some((key) => key.endsWith(` ${url.pathname}`));
        throw new BadRequest(
          known ? 405 : 404,
          known ? `${request.method} is not allowed here` : "not found",
        );
      }
      await route(request, response, url);
    } catch (thrown) {
      if (response.headersSent) return void response.end();
      if (thrown instanceof BadRequest) return replyError(response, thrown.status, thrown.message);
      logger.warn("dashboard request failed", { error: (thrown as Error).message });
      replyError(response, 500, (thrown as Error).message);
    }
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.maxHeadersCount = 100;

  const port = options.port ?? 4600;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (thrown) {
    await readers.close();
    return {
      ok: false,
      error: qiError(
        "CONFIG_INVALID",
        `the dashboard cannot listen on ${host}:${port}: ${(thrown as Error).message}`,
      ),
    };
  }
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    ok: true,
    value: {
      url: `http://${shownHost}:${address.port}/`,
      async close() {
        events.close();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await readers.close();
      },
    },
  };
}

/** The token given directly or in a file (not both); never repeated in an error. */
async function tokenOf(options: DashboardOptions): Promise<Result<string | undefined>> {
  if (options.tokenFile === undefined) return { ok: true, value: options.token };
  if (options.token !== undefined)
    return {
      ok: false,
      error: qiError(
        "CONFIG_INVALID",
        "the dashboard token is given twice (QICORE_UI_TOKEN or --token, and a token file); give one",
      ),
    };
  const read = await readTokenFile(options.tokenFile);
  if (!read.ok) return read;
  if (read.warning) options.logger.warn(read.warning);
  return { ok: true, value: read.token };
}

function sendText(response: ServerResponse, type: string, text: string): void {
  response.writeHead(200, {
    "content-type": type,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "content-security-policy":
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
  });
  response.end(text);
}

function integer(text: string, name: string): number {
  if (!/^\d{1,9}$/.test(text)) throw new BadRequest(400, `${name} must be a whole number`);
  return Number(text);
}
