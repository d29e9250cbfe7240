import type { IncomingMessage, ServerResponse } from "node:http";

/** A JSON answer; errors are `{ "error": "..." }` with their status. */
export function replyJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
  });
  response.end(JSON.stringify(body));
}

export function replyError(response: ServerResponse, status: number, message: string): void {
  replyJson(response, status, { error: message });
}

/** A request the endpoints refuse, with the status that says why. */
export class BadRequest extends Error {
  constructor(
    readonly status: 400 | 404 | 405 | 411 | 413 | 414 | 415,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reads a JSON request body of at most `maxBytes`: anything else is refused before it is
 * buffered (413 for a body too large, 415 for another content type, 400 for text that is
 * not JSON).
 */
export async function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = (request.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") throw new BadRequest(415, "send the body as application/json");
  const declared = Number(request.headers["content-length"] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    request.resume();
    throw new BadRequest(413, `the body is larger than ${maxBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      request.resume();
      throw new BadRequest(413, `the body is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new BadRequest(400, "the body is not valid JSON");
  }
}

/** The query of a request, refusing parameters the endpoint does not take. */
export function queryOf(url: URL, allowed: readonly string[]): URLSearchParams {
  for (const key of url.searchParams.keys()) {
    if (!allowed.includes(key))
      throw new BadRequest(
        400,
        `unknown parameter "${key.slice(0, 50)}"${allowed.length > 0 ? `; this endpoint takes ${allowed.join(", ")}` : ""}`,
      );
    if (url.searchParams.getAll(key).length > 1) throw new BadRequest(400, `"${key}" may be given once`);
  }
  return url.searchParams;
}
