import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  defaultRegistry,
  loadPipelineFile,
  memoryStore,
  type ResolvedPipeline,
  recordJsonSchema,
  silentLogger,
  syntheticSource,
} from "@qicore/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, callOk, connectHttp } from "../test-support/clients";
import { runMcpCli } from "./cli";
import { PIPELINE_CONFIG_URI, schemaUri } from "./resources";
import { type RunningMcpServer, startMcpServer } from "./start";

// In-process servers over real HTTP on 127.0.0.1, with no database: a synthetic source,
// a memory target, and a timescale target whose server does not exist (port 1).
const TOKEN = "test-token-0123456789abcdef";
const SECRET = "hunter2secret";
const READ_TOOLS = [
  "get_current_prices",
  "get_market_analytics",
  "get_ohlcv",
  "get_price_history",
  "list_adapters",
  "pipeline_status",
  "validate_pipeline",
];

let folder: string;
let config: ResolvedPipeline;
const running: RunningMcpServer[] = [];
const clients: Client[] = [];

function pipelineYaml(store: string): string {
  return [
    "name: mcp-unit",
    "sources:",
    "  - id: gen",
    "    type: synthetic",
    "    config: { coins: [bitcoin, ethereum], count: 10, seed: 7 }",
    "targets:",
    "  - id: mem",
    "    type: memory",
    `    config: { store: ${store} }`,
    "  - id: db",
    "    type: timescale",
    `    config: { connectionString: "postgres://reader:${SECRET}@127.0.0.1:1/none", migrate: false, retry: { attempts: 1 }, pool: { connectionTimeoutMs: 2000 } }`,
    "delivery: { retry: { maxAttempts: 1 } }",
    "",
  ].join("\n");
}

async function serve(
  options: { allowWrites?: boolean; token?: string } = {},
): Promise<RunningMcpServer & { url: string }> {
  const started = await startMcpServer({
    config,
    transport: "http",
    port: 0,
    ...(options.token !== undefined ? { token: options.token } : {}),
    allowWrites: options.allowWrites === true,
    logger: silentLogger,
  });
  if (!started.ok) throw started.error;
  running.push(started.value);
  const { url } = started.value;
  if (url === undefined) throw new Error("an HTTP server without a URL");
  return Object.assign(started.value, { url });
}

async function client(url: string, token?: string): Promise<Client> {
  const connected = await connectHttp(url, token);
  clients.push(connected);
  return connected;
}

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), "qicore-mcp-"));
  writeFileSync(join(folder, "pipeline.yaml"), pipelineYaml("mcp-unit"));
  const loaded = await loadPipelineFile(join(folder, "pipeline.yaml"), { registry: defaultRegistry() });
  if (!loaded.ok) throw loaded.error;
  config = loaded.value;
});

afterAll(async () => {
  for (const connected of clients) await connected.close();
  for (const server of running) await server.close();
});

describe("HTTP transport security", () => {
  it("refuses requests without the token or with a wrong one (401), and serves the right one", async () => {
    const server = await serve({ token: TOKEN });
    const initialize = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "curl", version: "1" } },
    };
    const post = (headers: Record<string, string>) =>
      fetch(server.url, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json, text/event-stream",
          ...headers,
        },
        body: JSON.stringify(initialize),
      });
    const missing = await post({});
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toContain("Bearer");
    expect(((await missing.json()) as { error: { message: string } }).error.message).toContain(
      "unauthorized",
    );
    expect((await post({ Authorization: "Bearer wrong-token-0123456789abcdef" })).status).toBe(401);
    expect((await post({ Authorization: TOKEN })).status).toBe(401);
    const good = await post({ Authorization: `Bearer ${TOKEN}` });
    expect(good.status).toBe(200);
    expect(good.headers.get("mcp-session-id")).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    await good.body?.cancel();

    await expect(connectHttp(server.url)).rejects.toThrow();
    const connected = await client(server.url, TOKEN);
    const tools = await connected.listTools();
    expect(tools.tools.map((tool) => tool.name).sort()).toEqual(READ_TOOLS);
  });

  it("refuses a Host header that is not loopback (DNS rebinding) and unknown paths", async () => {
    const server = await serve();
    const { port } = new URL(server.url);
    const response = await new Promise<number>((resolve, reject) => {
      // fetch cannot set Host; node:http can.
      import("node:http").then(({ request }) => {
        const outgoing = request(
          {
            host: "127.0.0.1",
            port: Number(port),
            path: "/mcp",
            method: "POST",
            headers: { Host: "evil.example" },
          },
          (incoming) => {
            incoming.resume();
            resolve(incoming.statusCode ?? 0);
          },
        );
        outgoing.on("error", reject);
        outgoing.end("{}");
      }, reject);
    });
    expect(response).toBe(403);
    expect((await fetch(server.url.replace("/mcp", "/other"))).status).toBe(404);
    expect((await fetch(server.url, { headers: { Origin: "https://evil.example" } })).status).toBe(403);
  });

  it("will not listen beyond loopback without a token, nor with a short token", async () => {
    const open = await startMcpServer({
      config,
      transport: "http",
      host: "0.0.0.0",
      port: 0,
      logger: silentLogger,
    });
    expect(open.ok).toBe(false);
    expect(!open.ok && open.error.message).toContain("refusing to serve on 0.0.0.0 without a bearer token");
    const short = await startMcpServer({
      config,
      transport: "http",
      port: 0,
      token: "short",
      logger: silentLogger,
    });
    expect(!short.ok && short.error.message).toContain("use at least 16 random characters");

    const errors: string[] = [];
    const io = { out: () => {}, error: (text: string) => errors.push(text), env: {}, cwd: folder };
    expect(await runMcpCli(["pipeline.yaml", "--transport", "http", "--host", "0.0.0.0"], io)).toBe(2);
    expect(errors.join("\n")).toContain("refusing to serve on 0.0.0.0");
  });
});

describe("tools without a database", () => {
  let connected: Client;
  beforeAll(async () => {
    connected = await client((await serve()).url);
  });

  it("gets current prices through the source's getCurrentPrices and names the coins it has none for", async () => {
    const result = await callOk<{
      source: string;
      prices: { coinId: string; usdPrice: string }[];
      missing: string[];
    }>(connected, "get_current_prices", { coins: ["bitcoin", "dogecoin"] });
    // The same source built directly gives the same price.
    const handlers = await syntheticSource.create(
      syntheticSource.configSchema.parse(config.sources[0]?.config),
      {
        id: "direct",
        pipelineName: "direct",
        logger: silentLogger,
        baseDir: folder,
        signal: new AbortController().signal,
      },
    );
    const direct = await handlers.getCurrentPrices?.(["bitcoin"]);
    expect(result.source).toBe("gen");
    expect(result.missing).toEqual(["dogecoin"]);
    expect(result.prices.map((price) => price.usdPrice)).toEqual([
      (direct as unknown as { usdPrice: string }[])[0]?.usdPrice,
    ]);

    const unknown = await call(connected, "get_current_prices", { coins: ["dogecoin"] });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toContain('source "gen" has no price for "dogecoin"');
  });

  it("reports an unreachable database as an error result without its password", async () => {
    const result = await call(connected, "get_ohlcv", {
      coin: "bitcoin",
      start: "2024-01-01",
      end: "2024-01-02",
    });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/READ_FAILED|NETWORK|ECONNREFUSED|connect/i);
    expect(result.text).not.toContain(SECRET);
    const status = await callOk<{
      ready: boolean;
      reasons: string[];
      adapters: Record<string, { status: string }>;
    }>(connected, "pipeline_status");
    expect(status.ready).toBe(false);
    expect(status.adapters.db?.status).toBe("unhealthy");
    expect(JSON.stringify(status)).not.toContain(SECRET);
  });

  it("refuses bad input before touching anything: wrong types, bad ids, inverted ranges", async () => {
    const wrongType = await call(connected, "get_price_history", { coin: "bitcoin", limit: "ten" });
    expect(wrongType.isError).toBe(true);
    expect(wrongType.text).toContain("limit");
    const badTarget = await call(connected, "get_price_history", { coin: "bitcoin", target: "mem" });
    expect(badTarget.text).toContain(
      '"mem" is not a readable target of pipeline "mcp-unit" (memory has no reader); readable targets: "db"',
    );
    const inverted = await call(connected, "get_market_analytics", {
      start: "2024-02-01",
      end: "2024-01-01",
    });
    expect(inverted.text).toContain("the range is inverted or empty");
    const extraCoins = await call(connected, "get_current_prices", {
      coins: Array.from({ length: 51 }, (_, index) => `coin-${index}`),
    });
    expect(extraCoins.text).toContain("at most 50 coins per call");
  });

  it("lists the adapters and which of the pipeline's ids use them", async () => {
    const listed = await callOk<{ adapters: { role: string; name: string; usedBy: string[] }[] }>(
      connected,
      "list_adapters",
    );
    const find = (role: string, name: string) =>
      listed.adapters.find((adapter) => adapter.role === role && adapter.name === name);
    expect(find("source", "synthetic")?.usedBy).toEqual(["gen"]);
    expect(find("target", "memory")?.usedBy).toEqual(["mem"]);
    expect(find("target", "timescale")?.usedBy).toEqual(["db"]);
    expect(find("target", "file")?.usedBy).toEqual([]);
  });

  it("validates the served file and agent text, never importing a file the text names", async () => {
    const served = await callOk<{ valid: boolean; checked: string }>(connected, "validate_pipeline");
    expect(served).toMatchObject({ valid: true, checked: join(folder, "pipeline.yaml") });

    const marker = join(folder, "imported.txt");
    writeFileSync(
      join(folder, "evil.mjs"),
      `import { writeFileSync } from "node:fs"; writeFileSync(${JSON.stringify(marker)}, "ran");`,
    );
    const text = [
      "name: from-agent",
      "sources:",
      "  - id: gen",
      "    type: ./evil.mjs",
      "targets:",
      "  - id: out",
      "    type: memory",
      "    config: { stor: x }",
      "",
    ].join("\n");
    const checked = await callOk<{
      valid: boolean;
      problems: { path: string; message: string; line?: number }[];
    }>(connected, "validate_pipeline", { text });
    expect(checked.valid).toBe(false);
    expect(existsSync(marker)).toBe(false);
    const typeProblem = checked.problems.find((problem) => problem.path === "sources[0].type");
    expect(typeProblem?.message).toContain("only adapters installed with the server can be named here");
    expect(typeProblem?.line).toBe(4);
    expect(
      checked.problems.some((problem) => problem.path.startsWith("targets[0].config") && problem.line === 8),
    ).toBe(true);
  });

  it("serves the DSL's JSON Schemas and the config with its secrets masked", async () => {
    const { resources } = await connected.listResources();
    const uris = resources.map((resource) => resource.uri);
    expect(uris).toContain(schemaUri("crypto-price.v2.json"));
    expect(uris).toContain(schemaUri("crypto-ohlcv.input.v2.json"));
    expect(uris).toContain(PIPELINE_CONFIG_URI);
    const schema = await connected.readResource({ uri: schemaUri("crypto-price.v2.json") });
    const first = schema.contents[0] as { text: string };
    expect(JSON.parse(first.text)).toEqual(recordJsonSchema("price"));
    const pipeline = await connected.readResource({ uri: PIPELINE_CONFIG_URI });
    const text = (pipeline.contents[0] as { text: string }).text;
    expect(text).not.toContain(SECRET);
    expect(JSON.parse(text).targets[1].config.connectionString).toBe(
      "postgres://reader:***@127.0.0.1:1/none",
    );
  });
});

describe("writes", () => {
  it("offers the store tools only with allowWrites, validates every record and writes through the targets", async () => {
    const store = memoryStore("mcp-unit");
    store.clear();
    const readOnly = await client((await serve()).url);
    expect((await call(readOnly, "store_prices", { prices: [] })).text).toContain("store_prices not found");

    const writer = await client((await serve({ allowWrites: true })).url);
    const names = (await writer.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain("store_prices");
    expect(names).toContain("store_ohlcv");
    const price = (coinId: string, usdPrice: unknown) => ({
      coinId,
      symbol: coinId.slice(0, 3).toUpperCase(),
      usdPrice,
      lastUpdated: "2024-03-01T12:00:00Z",
      source: "agent",
      attribution: "typed by a test",
    });
    const invalid = await call(writer, "store_prices", {
      prices: [price("bitcoin", "64000.5"), price("ethereum", "1234567890123.5")],
      targets: ["mem"],
    });
    expect(invalid.isError).toBe(true);
    expect(invalid.text).toContain(
      "1 of 2 price record(s) are invalid, nothing was written: prices[1]: usdPrice",
    );
    expect(store.size("price")).toBe(0);

    const stored = await callOk<{ results: { target: string; written: number }[] }>(writer, "store_prices", {
      prices: [price("bitcoin", "64000.5"), price("ethereum", 3100.25)],
      targets: ["mem"],
    });
    expect(stored.results).toEqual([{ target: "mem", written: 2, failed: [] }]);
    expect(
      store
        .list("price")
        .map((record) => (record as { usdPrice: string }).usdPrice)
        .sort(),
    ).toEqual(["3100.25", "64000.5"]);

    // Without named targets every target taking prices gets them; the unreachable one reports its error.
    const both = await callOk<{ results: { target: string; written: number; error?: string }[] }>(
      writer,
      "store_prices",
      { prices: [price("solana", "150")] },
    );
    expect(both.results.find((result) => result.target === "mem")?.written).toBe(1);
    const unreachable = both.results.find((result) => result.target === "db");
    expect(unreachable?.written).toBe(0);
    expect(unreachable?.error).toMatch(/\S{3,}/);
    expect(JSON.stringify(both)).not.toContain(SECRET);
  });
});

describe("stdio lifecycle in process", () => {
  it("answers on stdout, logs only on stderr, and ends with exit code 0 when stdin closes", async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const output: string[] = [];
    stdout.on("data", (chunk) => output.push(String(chunk)));
    const errors: string[] = [];
    const io = { out: () => {}, error: (text: string) => errors.push(text), env: {}, cwd: folder };
    const exit = runMcpCli(["pipeline.yaml"], io, { stdin, stdout, onSignal: () => () => {} });
    stdin.write(
      `${JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: {
          protocolVersion: "2025-06-18",
          capabilities: {},
          clientInfo: { name: "pipe", version: "1" },
        },
      })}\n`,
    );
    await expect.poll(() => output.join(""), { timeout: 5000 }).toContain('"serverInfo"');
    stdin.end();
    expect(await exit).toBe(0);
    for (const line of output.join("").trim().split("\n")) expect(JSON.parse(line).jsonrpc).toBe("2.0");
    expect(errors.join("\n")).toContain("serving MCP on stdio");
  });

  it("stops on a signal with exit code 0", async () => {
    const listeners: ((signal: string) => void)[] = [];
    const onSignal = (listener: (signal: string) => void) => {
      listeners.push(listener);
      return () => listeners.splice(listeners.indexOf(listener), 1);
    };
    const io = { out: () => {}, error: () => {}, env: {}, cwd: folder };
    const graceful = runMcpCli(["pipeline.yaml"], io, {
      stdin: new PassThrough(),
      stdout: new PassThrough(),
      onSignal,
    });
    await expect.poll(() => listeners.length).toBe(1);
    listeners[0]?.("SIGTERM");
    expect(await graceful).toBe(0);
  });
});
