import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { foreignRequestReason, isLoopbackHost, type QiError, qiError } from "@qicore/core";

/** Shortest token accepted: anything shorter is guessable. */
export const MIN_TOKEN_LENGTH = 16;
/** The cookie a browser keeps the token in after opening `/?token=...` once. */
export const TOKEN_COOKIE = "qicore_ui_token";

/**
 * Checks the address and token before anything listens, like the MCP server: a dashboard
 * reachable from other machines without a token would let anyone re-send dead letters and
 * read the pipeline's config.
 */
export function checkDashboardSecurity(host: string, token: string | undefined): QiError | undefined {
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
    return qiError(
      "INSECURE_CONFIG",
      `the dashboard token is ${token.length} characters long; use at least ${MIN_TOKEN_LENGTH} random characters (e.g. openssl rand -hex 32)`,
      { category: "SECURITY" },
    );
  }
  if (!isLoopbackHost(host) && token === undefined) {
    return qiError(
      "INSECURE_CONFIG",
      `refusing to serve the dashboard on ${host} without a token: other machines could reach it. Give a token in a file (--ui-token-file, --token-file) or in QICORE_UI_TOKEN, or bind to 127.0.0.1`,
      { category: "SECURITY" },
    );
  }
  return undefined;
}

/** What every request passes before it is served: loopback's Host/Origin rules, then the token. */
export class RequestGuard {
  private readonly expected: Buffer | undefined;

  constructor(
    private readonly loopbackOnly: boolean,
    token: string | undefined,
  ) {
    this.expected = token === undefined ? undefined : digest(token);
  }

  get needsToken(): boolean {
    return this.expected !== undefined;
  }

  /** The status and reason to refuse the request with, or undefined to serve it. */
  refusal(request: IncomingMessage): { status: 401 | 403; message: string } | undefined {
    if (this.loopbackOnly) {
      const reason = foreignRequestReason(request.headers);
      if (reason) return { status: 403, message: `forbidden: ${reason}` };
    }
    if (this.expected && !this.authorized(request)) {
      return {
        status: 401,
        message:
          "unauthorized: open the dashboard's URL with ?token=<token> once, or send Authorization: Bearer <token>",
      };
    }
    return undefined;
  }

  /** Whether a token given in the page's query string is the right one (then it becomes a cookie). */
  accepts(token: string): boolean {
    return this.expected !== undefined && same(digest(token), this.expected);
  }

  private authorized(request: IncomingMessage): boolean {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "")?.[1];
    const cookie = cookieValue(request.headers.cookie, TOKEN_COOKIE);
    const given = bearer ?? cookie;
    return given !== undefined && same(digest(given), this.expected as Buffer);
  }
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return undefined;
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** Compares digests in constant time, so the answer's timing says nothing about the token. */
function same(given: Buffer, expected: Buffer): boolean {
  return timingSafeEqual(given, expected);
}
