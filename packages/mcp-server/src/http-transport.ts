import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { err, type Logger, ok, type QiError, qiError, type Result } from "@qicore/core";

/** Shortest bearer token accepted: anything shorter is guessable. */
export const MIN_TOKEN_LENGTH = 16;
/** Path the MCP endpoint is served on. */
export const MCP_PATH = "/mcp";

export interface HttpTransportOptions {
  /** Address to bind; loopback (127.0.0.1) by default. Any other address needs a token. */
  host?: string;
  /** Port; 0 picks a free one (the URL says which). */
  port?: number;
  /** Bearer token every request must carry (`Authorization: Bearer <token>`). */
  token?: string;
  /** Makes the MCP server of one client session. */
  createServer: () => McpServer;
  logger: Logger;
  /** Most sessions open at once; further clients get 503 until one ends. Default 32. */
  maxSessions?: number;
  /** A session unused this long is closed. Default 30 minutes. */
  sessionIdleMs?: number;
}

export interface McpHttpServer {
  /** The MCP endpoint, e.g. `http://127.0.0.1:3100/mcp`. */
  url: string;
  /** Sessions open now. */
  readonly sessions: number;
  /** Ends every session and stops listening. */
  close(): Promise<void>;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  lastUsed: number;
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127(\.\d{1,3}){3}$/.test(bare);
}

/**
 * Checks the address and token before anything listens: a server reachable from
 * other machines without a token would hand the database to anyone who finds it.
 */
export function checkHttpSecurity(host: string, token: string | undefined): QiError | undefined {
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
    return securityError(
      `the bearer token is ${token.length} characters long; use at least ${MIN_TOKEN_LENGTH} random characters (e.g. openssl rand -hex 32)`,
    );
  }
  if (!isLoopback(host) && token === undefined) {
    return securityError(
      `refusing to serve on ${host} without a bearer token: other machines could reach it. Set QICORE_MCP_TOKEN (or --token), or bind to 127.0.0.1`,
    );
  }
  return undefined;
}

/**
 * Serves MCP over Streamable HTTP on `host:port/mcp`: one MCP server per client
 * session, bearer-token authentication when a token is set, and Host/Origin checks
 * against DNS rebinding when bound to loopback.
 */
export async function serveHttp(options: HttpTransportOptions): Promise<Result<McpHttpServer, QiError>> {
  const host = options.host ?? "127.0.0.1";
  const { token, logger } = options;
  const problem = checkHttpSecurity(host, token);
  if (problem) return err(problem);
  const expected = token === undefined ? undefined : digest(token);
  const maxSessions = options.maxSessions ?? 32;
  const idleMs = options.sessionIdleMs ?? 30 * 60_000;
  const sessions = new Map<string, Session>();
  const loopbackOnly = isLoopback(host);

  const closeSession = async (id: string) => {
    const session = sessions.get(id);
    if (!session) return;
    sessions.delete(id);
    await session.server.close().catch(() => undefined);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    if (path !== MCP_PATH) return reply(response, 404, `not found: the MCP endpoint is ${MCP_PATH}`);
    if (loopbackOnly && !allowedHost(request.headers.host)) {
      return reply(response, 403, "forbidden: Host header is not a loopback address");
    }
    const origin = request.headers.origin;
    if (loopbackOnly && origin !== undefined && !allowedOrigin(origin)) {
      return reply(response, 403, "forbidden: cross-origin requests are not accepted");
    }
    if (expected && !authorized(request.headers.authorization, expected)) {
      logger.warn("refused an MCP request without a valid bearer token", {
        remote: request.socket.remoteAddress,
      });
      response.setHeader("WWW-Authenticate", 'Bearer realm="qicore-mcp"');
      return reply(response, 401, "unauthorized: send Authorization: Bearer <token>");
    }
    const sessionId = header(request.headers["mcp-session-id"]);
    if (sessionId !== undefined) {
      const session = sessions.get(sessionId);
      if (!session) return reply(response, 404, "session not found: start a new session (initialize)");
      session.lastUsed = Date.now();
      await session.transport.handleRequest(request, response);
      return;
    }
    if (request.method !== "POST") {
      return reply(response, 400, "bad request: no Mcp-Session-Id header; start a session with initialize");
    }
    if (sessions.size >= maxSessions) {
      return reply(response, 503, `too many sessions (${maxSessions}); close one or try later`);
    }
    const server = options.createServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, server, lastUsed: Date.now() });
      },
      onsessionclosed: (id) => {
        void closeSession(id);
      },
    });
    await server.connect(transport);
    await transport.handleRequest(request, response);
    // A first request that did not open a session (not an initialize) leaves nothing behind.
    if (transport.sessionId === undefined || !sessions.has(transport.sessionId)) {
      await server.close().catch(() => undefined);
    }
  };

  const http: Server = createServer((request, response) => {
    handle(request, response).catch((thrown: unknown) => {
      logger.error("MCP HTTP request failed", { error: (thrown as Error).message });
      if (!response.headersSent) reply(response, 500, "internal error");
      else response.end();
    });
  });
  const listening = await new Promise<Result<AddressInfo, QiError>>((resolve) => {
    http.once("error", (thrown: NodeJS.ErrnoException) => {
      resolve(
        err(
          qiError(
            "NETWORK_ERROR",
            `cannot listen on ${host}:${options.port ?? 3100}: ${thrown.code === "EADDRINUSE" ? "the port is in use (choose another with --port)" : thrown.message}`,
            { retryable: false, cause: thrown },
          ),
        ),
      );
    });
    http.listen(options.port ?? 3100, host, () => resolve(ok(http.address() as AddressInfo)));
  });
  if (!listening.ok) return listening;

  const sweeper = setInterval(
    () => {
      const now = Date.now();
      for (const [id, session] of sessions) if (now - session.lastUsed > idleMs) void closeSession(id);
    },
    Math.min(idleMs, 60_000),
  );
  sweeper.unref();

  const address = listening.value;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return ok({
    url: `http://${shownHost}:${address.port}${MCP_PATH}`,
    get sessions() {
      return sessions.size;
    },
    async close() {
      clearInterval(sweeper);
      await Promise.all([...sessions.keys()].map(closeSession));
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    },
  });
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** Compares digests in constant time, so the answer's timing says nothing about the token. */
function authorized(value: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value ?? "");
  if (!match) return false;
  return timingSafeEqual(digest(match[1] as string), expected);
}

function allowedHost(value: string | undefined): boolean {
  if (!value) return false;
  const hostname = value.startsWith("[") ? value.slice(0, value.indexOf("]") + 1) : value.split(":")[0];
  return isLoopback(hostname ?? "");
}

function allowedOrigin(origin: string): boolean {
  try {
    return isLoopback(new URL(origin).hostname);
  } catch {
    return false;
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A JSON-RPC error body, the shape MCP clients expect from the endpoint. */
function reply(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { "Content-Type": "application/json" });
  response.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
}

function securityError(message: string): QiError {
  return qiError("INSECURE_CONFIG", message, { category: "SECURITY" });
}
