import type { IncomingHttpHeaders } from "node:http";

/** True for addresses only this machine can reach (`127.0.0.1`, `::1`, `localhost`). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127(\.\d{1,3}){3}$/.test(bare);
}

/**
 * Why a request to a server bound on loopback must be refused, or undefined when it may be
 * served. A web page the user opens elsewhere can make the browser send requests to
 * 127.0.0.1 (and, through DNS rebinding, under its own host name): a `Host` that is not a
 * loopback name, or an `Origin` of another site, gives such requests away.
 */
export function foreignRequestReason(headers: IncomingHttpHeaders): string | undefined {
  if (!loopbackHostHeader(headers.host)) return "the Host header is not a loopback address";
  const origin = headers.origin;
  if (origin !== undefined && !loopbackOrigin(origin)) return "cross-origin requests are not accepted";
  return undefined;
}

function loopbackHostHeader(value: string | undefined): boolean {
  if (!value) return false;
  const hostname = value.startsWith("[") ? value.slice(0, value.indexOf("]") + 1) : value.split(":")[0];
  return isLoopbackHost(hostname ?? "");
}

function loopbackOrigin(origin: string): boolean {
  try {
    return isLoopbackHost(new URL(origin).hostname);
  } catch {
    return false;
  }
}
