// Bad input for the dashboard's HTTP endpoints, over real HTTP on a real port, like the MCP
// server's transport tests: oversized and malformed bodies, foreign Host and Origin headers on
// loopback, and the token off loopback. The page is a stub (the browser test builds the real one).
import { mkdtemp, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStateStore, Pipeline, silentLogger } from "@qicore/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDashboardCli } from "./cli";
import { MAX_BODY_BYTES, MAX_RESEND, type RunningDashboard, startDashboard } from "./server";

const TOKEN = "dashboard-token-0123456789abcdef";
let uiDir: string;
let pipeline: Pipeline;
const running: RunningDashboard[] = [];

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request (fetch cannot set Host, nor send a body without its length). */
function send(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    chunked?: boolean;
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      url,
      { method: options.method ?? "GET", headers: options.headers ?? {} },
      (incoming) => {
        let body = "";
        incoming.setEncoding("utf8");
        incoming.on("data", (chunk: string) => {
          body += chunk;
        });
        incoming.on("end", () =>
          resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body }),
        );
      },
    );
    // The server may answer before it has read all of an oversized body, and close the socket.
    outgoing.on("error", reject);
    if (options.body !== undefined && options.chunked) {
      // Without Content-Length the size is only known while reading.
      const body = Buffer.from(options.body);
      for (let offset = 0; offset < body.length; offset += 16 * 1024)
        outgoing.write(body.subarray(offset, offset + 16 * 1024));
      outgoing.end();
    } else outgoing.end(options.body);
  });
}

function errorOf(reply: Reply): string {
  expect(reply.headers["content-type"]).toContain("application/json");
  return (JSON.parse(reply.body) as { error: string }).error;
}

async function serve(options: { host?: string; token?: string } = {}): Promise<string> {
  const started = await startDashboard({ pipeline, logger: silentLogger, port: 0, uiDir, ...options });
  if (!started.ok) throw started.error;
  running.push(started.value);
  return started.value.url;
}

beforeAll(async () => {
  uiDir = await mkdtemp(join(tmpdir(), "qicore-dashboard-ui-"));
  await writeFile(join(uiDir, "index.html"), "<!doctype html><title>stub</title>");
  await writeFile(join(uiDir, "app.js"), "");
  await writeFile(join(uiDir, "style.css"), "");
  const loaded = await Pipeline.fromConfig(
    {
      name: "dashboard-requests",
      sources: [{ id: "gen", type: "synthetic", config: { coins: ["bitcoin"], ratePerSecond: 20 } }],
      targets: [
        { id: "mem", type: "memory", config: { store: `dashboard-requests-${Date.now()}`, keep: false } },
      ],
    },
    { logger: silentLogger, stateStore: new MemoryStateStore() },
  );
  if (!loaded.ok) throw loaded.error;
  pipeline = loaded.value;
  const started = await pipeline.start();
  if (!started.ok) throw started.error;
});

afterAll(async () => {
  for (const dashboard of running) await dashboard.close();
  await pipeline?.destroy();
});

describe("request bodies", () => {
  const resend = (
    url: string,
    body: string | Buffer,
    headers: Record<string, string> = {},
    chunked = false,
  ) =>
    send(`${url}api/dead-letters/resend`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
      chunked,
    });

  it("refuses a body larger than the limit, declared or streamed, with 413", async () => {
    const url = await serve();
    const big = JSON.stringify({ ids: [1], padding: "x".repeat(MAX_BODY_BYTES) });
    const declared = await resend(url, big);
    expect(declared.status).toBe(413);
    expect(errorOf(declared)).toBe(`the body is larger than ${MAX_BODY_BYTES} bytes`);
    const streamed = await resend(url, big, {}, true);
    expect(streamed.status).toBe(413);
    expect(errorOf(streamed)).toBe(`the body is larger than ${MAX_BODY_BYTES} bytes`);
    // The server keeps serving after refusing.
    expect((await send(`${url}api/status`)).status).toBe(200);
  });

  it("refuses malformed JSON, another content type and a body of the wrong shape with 4xx", async () => {
    const url = await serve();
    const malformed = await resend(url, '{"ids": [1,');
    expect(malformed.status).toBe(400);
    expect(errorOf(malformed)).toBe("the body is not valid JSON");
    const text = await resend(url, '{"ids":[1]}', { "content-type": "text/plain" });
    expect(text.status).toBe(415);
    expect(errorOf(text)).toBe("send the body as application/json");
    for (const body of ["null", "[]", '{"ids":[]}', '{"ids":["1"]}', '{"ids":[-1]}', '{"ids":[1.5]}']) {
      const wrong = await resend(url, body);
      expect(wrong.status, body).toBe(400);
      expect(errorOf(wrong)).toContain('send { "ids": [<dead letter id>, ...] }');
    }
    const tooMany = await resend(
      url,
      JSON.stringify({ ids: Array.from({ length: MAX_RESEND + 1 }, (_, i) => i) }),
    );
    expect(tooMany.status).toBe(413);
    expect(errorOf(tooMany)).toContain(`at most ${MAX_RESEND}`);
  });
});

describe("URLs and query strings", () => {
  it("refuses unknown paths, wrong methods, unknown or repeated parameters and bad values", async () => {
    const url = await serve();
    const cases: [string, string, number, string][] = [
      ["GET", "api/nothing", 404, "not found"],
      ["DELETE", "api/status", 405, "DELETE is not allowed here"],
      ["GET", "api/dead-letters/resend", 405, "GET is not allowed here"],
      ["GET", "api/status?verbose=1", 400, 'unknown parameter "verbose"'],
      ["GET", "api/dead-letters?offset=1&offset=2", 400, '"offset" may be given once'],
      ["GET", "api/dead-letters?offset=-1", 400, "offset must be a whole number"],
      ["GET", "api/candles?coin=Robert');DROP", 400, "coin must be a coin id"],
      ["GET", "api/candles", 400, "coin must be a coin id"],
      ["GET", `api/status?${"a".repeat(3000)}`, 414, "the URL is too long"],
    ];
    for (const [method, path, status, message] of cases) {
      const reply = await send(`${url}${path}`, { method });
      expect(reply.status, `${method} ${path.slice(0, 60)}`).toBe(status);
      expect(errorOf(reply)).toContain(message);
    }
  });
});

describe("on loopback", () => {
  it("refuses a Host header that is not loopback (DNS rebinding) and other sites' Origin", async () => {
    const url = await serve();
    const { port } = new URL(url);
    for (const path of ["", "api/status", "api/events", "api/config"]) {
      const rebound = await send(`${url}${path}`, { headers: { host: `evil.example:${port}` } });
      expect(rebound.status, path).toBe(403);
      expect(errorOf(rebound)).toBe("forbidden: the Host header is not a loopback address");
      const foreign = await send(`${url}${path}`, { headers: { origin: "https://evil.example" } });
      expect(foreign.status, path).toBe(403);
      expect(errorOf(foreign)).toBe("forbidden: cross-origin requests are not accepted");
    }
    // A foreign page's re-send is refused before its body is read.
    const forged = await send(`${url}api/dead-letters/resend`, {
      method: "POST",
      headers: { origin: "http://attacker.test", "content-type": "application/json" },
      body: '{"ids":[0]}',
    });
    expect(forged.status).toBe(403);
    expect((await send(`${url}api/status`, { headers: { origin: `http://127.0.0.1:${port}` } })).status).toBe(
      200,
    );
    expect((await send(`${url}api/status`, { headers: { host: `localhost:${port}` } })).status).toBe(200);
  });
});

describe("off loopback", () => {
  it("will not listen without a token, nor with one shorter than 16 characters", async () => {
    const open = await startDashboard({ pipeline, logger: silentLogger, host: "0.0.0.0", port: 0, uiDir });
    expect(open.ok).toBe(false);
    expect(!open.ok && open.error.message).toContain(
      "refusing to serve the dashboard on 0.0.0.0 without a token",
    );
    const short = await startDashboard({
      pipeline,
      logger: silentLogger,
      port: 0,
      uiDir,
      token: "short-token",
    });
    expect(!short.ok && short.error.message).toContain("use at least 16 random characters");

    const folder = await mkdtemp(join(tmpdir(), "qicore-dashboard-cli-"));
    await writeFile(
      join(folder, "pipeline.yaml"),
      "name: ui-cli\nsources: [{ id: gen, type: synthetic, config: { coins: [bitcoin], count: 1 } }]\ntargets: [{ id: mem, type: memory }]\n",
    );
    const errors: string[] = [];
    const io = { out: () => {}, error: (text: string) => errors.push(text), env: {}, cwd: folder };
    expect(await runDashboardCli(["pipeline.yaml", "--host", "0.0.0.0", "--port", "0"], io)).toBe(2);
    expect(errors.join("\n")).toContain("refusing to serve the dashboard on 0.0.0.0 without a token");
  });

  it("requires the token on every request: as a bearer, or as the cookie opening ?token= sets", async () => {
    const url = (await serve({ host: "0.0.0.0", token: TOKEN })).replace("0.0.0.0", "127.0.0.1");
    const missing = await send(`${url}api/status`);
    expect(missing.status).toBe(401);
    expect(errorOf(missing)).toContain("unauthorized");
    expect((await send(`${url}`)).status).toBe(401);
    expect((await send(`${url}app.js`)).status).toBe(401);
    expect(
      (await send(`${url}api/status`, { headers: { authorization: "Bearer wrong-token-0123456789abcdef" } }))
        .status,
    ).toBe(401);
    expect((await send(`${url}api/status`, { headers: { authorization: TOKEN } })).status).toBe(401);
    expect((await send(`${url}?token=wrong-token-0123456789abcdef`)).status).toBe(401);
    // A bearer token is served; off loopback the Host may be the machine's name.
    const bearer = await send(`${url}api/status`, {
      headers: { authorization: `Bearer ${TOKEN}`, host: "dashboard.example:4600" },
    });
    expect(bearer.status).toBe(200);
    expect((JSON.parse(bearer.body) as { pipeline: string }).pipeline).toBe("dashboard-requests");
    // Opening the page with the token once sets it as an HttpOnly cookie.
    const opened = await send(`${url}?token=${TOKEN}`);
    expect(opened.status).toBe(303);
    const cookie = String(opened.headers["set-cookie"]).split(";")[0] as string;
    expect(String(opened.headers["set-cookie"])).toContain("HttpOnly");
    expect((await send(`${url}api/status`, { headers: { cookie } })).status).toBe(200);
    expect((await send(`${url}api/status`, { headers: { cookie: "qicore_ui_token=wrong" } })).status).toBe(
      401,
    );
  });
});
