// Bad input for the dashboard's HTTP endpoints, over real HTTP on a real port, like the MCP
// server's transport tests: oversized and malformed bodies, foreign Host and Origin headers on
// loopback, and the token off loopback. The page is a stub (the browser test builds the real one).
import { chmod, mkdtemp, writeFile } from "node:fs/promises";
import { type ClientRequest, request as httpRequest, type IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Logger, MemoryStateStore, Pipeline, silentLogger } from "@qicore/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDashboardCli } from "./cli";
import {
  MAX_BODY_BYTES,
  MAX_EVENT_STREAMS,
  MAX_RESEND,
  type RunningDashboard,
  startDashboard,
} from "./server";

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

interface OpenStream {
  status: number;
  headers: IncomingMessage["headers"];
  /** Resolves with the stream's text once it holds `text`. */
  waitFor(text: string): Promise<string>;
  close(): void;
}

/** Opens GET /api/events and keeps it open (a page's EventSource), reading what arrives. */
function openStream(url: string): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const outgoing: ClientRequest = httpRequest(`${url}api/events`, (incoming) => {
      let received = "";
      const waiting: { text: string; done: (all: string) => void }[] = [];
      incoming.setEncoding("utf8");
      incoming.on("data", (chunk: string) => {
        received += chunk;
        for (const entry of waiting.splice(0))
          if (received.includes(entry.text)) entry.done(received);
          else waiting.push(entry);
      });
      incoming.on("error", () => {});
      resolve({
        status: incoming.statusCode ?? 0,
        headers: incoming.headers,
        waitFor: (text) =>
          new Promise((done) => {
            if (received.includes(text)) done(received);
            else waiting.push({ text, done });
          }),
        close: () => outgoing.destroy(),
      });
    });
    outgoing.on("error", reject);
    outgoing.end();
  });
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

describe("live-update streams (GET /api/events)", () => {
  it(`serves at most ${MAX_EVENT_STREAMS} at once, refusing more with 503 and the reason, and frees a slot when one closes`, async () => {
    const url = await serve();
    const streams = await Promise.all(Array.from({ length: MAX_EVENT_STREAMS }, () => openStream(url)));
    try {
      expect(streams.map((stream) => stream.status)).toEqual(Array(MAX_EVENT_STREAMS).fill(200));
      for (const stream of streams) {
        expect(stream.headers["content-type"]).toBe("text/event-stream");
        // Every open stream gets the status events, the last one opened included.
        const text = await stream.waitFor('"pipeline":"dashboard-requests"');
        expect(text).toMatch(/^event: status\ndata: \{/);
      }
      const refused = await send(`${url}api/events`);
      expect(refused.status).toBe(503);
      expect(refused.headers["retry-after"]).toMatch(/^\d+$/);
      expect(errorOf(refused)).toBe(
        `too many live-update streams: this dashboard serves at most ${MAX_EVENT_STREAMS} at once (open pages and GET /api/events clients); close one, or poll GET /api/status`,
      );
      // The rest of the dashboard still answers while the streams are full.
      expect((await send(`${url}api/status`)).status).toBe(200);
      // A second status event reaches the streams: the interval pushes to all of them.
      const counts = await Promise.all(
        streams.map(
          async (stream) => (await stream.waitFor("\n\nevent: status")).split("event: status").length,
        ),
      );
      for (const count of counts) expect(count).toBeGreaterThanOrEqual(3);
      // Closing one page frees its slot.
      streams.pop()?.close();
      await expect
        .poll(async () => {
          const again = await openStream(url);
          if (again.status === 200) streams.push(again);
          else again.close();
          return again.status;
        })
        .toBe(200);
      expect((await send(`${url}api/events`)).status).toBe(503);
    } finally {
      for (const stream of streams) stream.close();
    }
  });

  it("takes the limit from the options, and refuses foreign origins before counting", async () => {
    const started = await startDashboard({
      pipeline,
      logger: silentLogger,
      port: 0,
      uiDir,
      maxEventStreams: 1,
    });
    if (!started.ok) throw started.error;
    running.push(started.value);
    const url = started.value.url;
    const forged = await send(`${url}api/events`, { headers: { origin: "https://evil.example" } });
    expect(forged.status).toBe(403);
    const only = await openStream(url);
    try {
      expect(only.status).toBe(200);
      expect((await send(`${url}api/events`)).status).toBe(503);
      expect((await send(`${url}api/events?since=1`)).status).toBe(400);
    } finally {
      only.close();
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

/** A logger keeping what it is told, to check what reaches the log. */
function createMemoryLogger(): Logger & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const logger = {
    lines,
    debug: (message: string) => void lines.push({ level: "debug", message }),
    info: (message: string) => void lines.push({ level: "info", message }),
    warn: (message: string) => void lines.push({ level: "warn", message }),
    error: (message: string) => void lines.push({ level: "error", message }),
    child: () => logger,
  };
  return logger;
}

describe("the token from a file (--ui-token-file, --token-file)", () => {
  /** A token file as a user writes one: `openssl rand -hex 32 > file`, readable by its owner alone. */
  async function tokenFile(content: string, mode = 0o600): Promise<string> {
    const path = join(await mkdtemp(join(tmpdir(), "qicore-ui-token-")), "token");
    await writeFile(path, content);
    await chmod(path, mode);
    return path;
  }

  it("serves off loopback with the file's token, which every request then needs", async () => {
    const logger = createMemoryLogger();
    const started = await startDashboard({
      pipeline,
      logger,
      host: "0.0.0.0",
      port: 0,
      uiDir,
      tokenFile: await tokenFile(`${TOKEN}\r\n`),
    });
    if (!started.ok) throw started.error;
    running.push(started.value);
    const url = started.value.url.replace("0.0.0.0", "127.0.0.1");
    expect((await send(`${url}api/status`)).status).toBe(401);
    // The line end `openssl rand -hex 32 > file` (or a Windows editor) writes is not part of the token.
    expect((await send(`${url}api/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(
      200,
    );
    expect(
      (await send(`${url}api/status`, { headers: { authorization: `Bearer ${TOKEN.slice(1)}` } })).status,
    ).toBe(401);
    expect(logger.lines).toEqual([]);
  });

  it("refuses a missing, empty, short, multi-line or oversized file, naming the path and never the content", async () => {
    const secret = "s3cr3t-value";
    const cases: [string, string][] = [
      [join(tmpdir(), "qicore-no-such-token-file"), "cannot be read (ENOENT)"],
      [await tokenFile(""), "is empty"],
      [await tokenFile(`${secret}\n`), "is 12 characters long; use at least 16 random characters"],
      [await tokenFile(`${TOKEN}\n${secret}\n`), "holds whitespace or more than one line"],
      [await tokenFile(`${TOKEN} ${secret}`), "holds whitespace or more than one line"],
      [await tokenFile(`${secret}${"x".repeat(5000)}`), "a token file holds one token (at most 4096 bytes)"],
      [tmpdir(), "is not a file"],
    ];
    for (const [path, problem] of cases) {
      const started = await startDashboard({
        pipeline,
        logger: silentLogger,
        host: "0.0.0.0",
        port: 0,
        uiDir,
        tokenFile: path,
      });
      expect(started.ok, path).toBe(false);
      const message = started.ok ? "" : started.error.message;
      expect(message, path).toContain(problem);
      if (!problem.includes("characters long")) expect(message).toContain(path);
      expect(message).not.toContain(secret);
      expect(message).not.toContain(TOKEN);
    }
  });

  it("warns when every user of the machine can read the file, and refuses a token given twice", async () => {
    const logger = createMemoryLogger();
    const readable = await tokenFile(TOKEN, 0o644);
    const started = await startDashboard({ pipeline, logger, port: 0, uiDir, tokenFile: readable });
    if (!started.ok) throw started.error;
    running.push(started.value);
    expect(logger.lines.map((line) => `${line.level} ${line.message}`)).toEqual([
      `warn the dashboard token file ${readable} is readable by every user of this machine; chmod 600 it`,
    ]);
    const twice = await startDashboard({
      pipeline,
      logger: silentLogger,
      port: 0,
      uiDir,
      token: TOKEN,
      tokenFile: readable,
    });
    expect(!twice.ok && twice.error.message).toBe(
      "the dashboard token is given twice (QICORE_UI_TOKEN or --token, and a token file); give one",
    );
  });

  it("qicore ui --token-file: reads the file relative to the working directory; its errors hold no token", async () => {
    const folder = await mkdtemp(join(tmpdir(), "qicore-dashboard-cli-"));
    await writeFile(
      join(folder, "pipeline.yaml"),
      "name: ui-cli\nsources: [{ id: gen, type: synthetic, config: { coins: [bitcoin], count: 1 } }]\ntargets: [{ id: mem, type: memory }]\n",
    );
    await writeFile(join(folder, "short-token"), "too-short-token\n", { mode: 0o600 });
    const output: string[] = [];
    const io = {
      out: (text: string) => output.push(text),
      error: (text: string) => output.push(text),
      env: {},
      cwd: folder,
    };
    const args = ["pipeline.yaml", "--host", "0.0.0.0", "--port", "0", "--token-file"];
    expect(await runDashboardCli([...args, "short-token"], io)).toBe(2);
    expect(output.join("\n")).toContain("the dashboard token is 15 characters long");
    expect(output.join("\n")).not.toContain("too-short-token");
    output.length = 0;
    expect(await runDashboardCli([...args, "missing"], io)).toBe(2);
    expect(output.join("\n")).toBe(
      `qicore ui: the dashboard token file ${join(folder, "missing")} cannot be read (ENOENT)`,
    );
    output.length = 0;
    expect(await runDashboardCli([...args, "short-token", "--token", TOKEN], io)).toBe(2);
    expect(output.join("\n")).toContain("the dashboard token is given twice");
    expect(output.join("\n")).not.toContain(TOKEN);
  });
});
