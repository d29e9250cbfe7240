import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { defaultRegistry, loadPipelineConfig, Pipeline, silentLogger } from "@qicore/core";
import "@qicore/target-timescale";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireTimescaleUrl } from "../../../test/services";
import { call, callOk, connectHttp } from "../test-support/clients";
import {
  exitWithin,
  INSPECTOR_BIN,
  qicoreArgs,
  ROOT_TSCONFIG,
  type SpawnedServer,
  serverEnv,
  spawnQicore,
} from "../test-support/processes";
import { PIPELINE_CONFIG_URI } from "./resources";
import { startMcpServer } from "./start";

// The server as users run it (`qicore mcp pipeline.yaml`, a separate process) against a
// real TimescaleDB that a pipeline (synthetic source -> timescale target) has filled.

const COINS = ["bitcoin", "ethereum", "solana"];
const TICKS = 2 * 1440; // two days of minute prices per coin, from 2024-01-01T00:00Z
const DAY_ONE = { start: "2024-01-01T00:00:00Z", end: "2024-01-02T00:00:00Z" };
const INJECTION = "bitcoin'; DROP TABLE crypto_prices;--";

interface Candle {
  timestamp: string;
  open: string;
  high: string;
  low: string;
  close: string;
  samples: number;
}

let databaseUrl: string;
let secret: string;
let schema: string;
let folder: string;
let database: pg.Client;
const spawned: SpawnedServer[] = [];

async function sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  return (await database.query(text, params)).rows as T[];
}

const pricesTable = () => `"${schema}".crypto_prices`;

beforeAll(async () => {
  const url = new URL(requireTimescaleUrl());
  // A password in the URL (ignored by a trust-auth server) that the redaction checks look for.
  if (!url.password) url.password = "not-a-real-secret-4242";
  databaseUrl = url.toString();
  secret = decodeURIComponent(url.password);
  schema = `mcp_it_${process.pid}_${Date.now() % 1_000_000}`;
  folder = mkdtempSync(join(tmpdir(), "qicore-mcp-it-"));
  writeFileSync(
    join(folder, "pipeline.yaml"),
    [
      "name: mcp-it",
      "sources:",
      "  - id: gen",
      "    type: synthetic",
      `    config: { coins: [${COINS.join(", ")}], count: ${COINS.length * TICKS}, kinds: [price, analytics], interval: 1m, startTime: "2024-01-01T00:00:00Z", batchSize: 2000 }`,
      "targets:",
      "  - id: db",
      "    type: timescale",
      `    config: { connectionString: "\${DATABASE_URL}", schema: ${schema} }`,
      "state: { store: file, path: state.json }",
      "",
    ].join("\n"),
  );
  database = new pg.Client({ connectionString: databaseUrl });
  await database.connect();

  const loaded = await Pipeline.load(join(folder, "pipeline.yaml"), {
    registry: defaultRegistry(),
    env: { DATABASE_URL: databaseUrl },
  });
  if (!loaded.ok) throw loaded.error;
  const summary = await loaded.value.run();
  await loaded.value.destroy();
  if (summary.error) throw summary.error;
  const [stored] = await sql<{ count: string }>(`SELECT count(*) FROM ${pricesTable()}`);
  expect(Number(stored?.count)).toBe(COINS.length * TICKS);
}, 120_000);

afterAll(async () => {
  for (const server of spawned) if (server.child.exitCode === null) server.child.kill("SIGKILL");
  await database?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await database?.end();
});

function spawnServer(args: readonly string[], extraEnv: Record<string, string> = {}): SpawnedServer {
  const server = spawnQicore(
    ["mcp", "pipeline.yaml", ...args],
    folder,
    serverEnv({ DATABASE_URL: databaseUrl, ...extraEnv }),
  );
  spawned.push(server);
  return server;
}

/** Candles computed by SQL written here, independently of the reader. */
async function expectedCandles(coin: string, width: string, start: string, end: string) {
  return sql<{ timestamp: string; open: string; high: string; low: string; close: string; samples: number }>(
    `SELECT to_char(time_bucket($1::interval, last_updated) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS timestamp,
       first(usd_price, last_updated)::text AS open, max(usd_price)::text AS high,
       min(usd_price)::text AS low, last(usd_price, last_updated)::text AS close, count(*)::int AS samples
     FROM ${pricesTable()}
     WHERE coin_id = $2 AND exchange_id = 'aggregate' AND last_updated >= $3 AND last_updated < $4
     GROUP BY 1 ORDER BY 1`,
    [width, coin, start, end],
  );
}

const asNumbers = (candle: Candle) => ({
  timestamp: candle.timestamp,
  open: Number(candle.open),
  high: Number(candle.high),
  low: Number(candle.low),
  close: Number(candle.close),
  samples: candle.samples,
});

describe("over stdio (qicore mcp, the MCP SDK's client)", () => {
  let client: Client;

  beforeAll(async () => {
    client = new Client({ name: "qicore-it", version: "0.0.0" });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: qicoreArgs(["mcp", "pipeline.yaml"]),
      cwd: folder,
      env: serverEnv({ DATABASE_URL: databaseUrl }),
      stderr: "pipe",
    });
    await client.connect(transport);
  }, 60_000);

  afterAll(async () => {
    await client?.close();
  });

  it("lists the read-only tools", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      "get_current_prices",
      "get_market_analytics",
      "get_ohlcv",
      "get_price_history",
      "list_adapters",
      "pipeline_status",
      "validate_pipeline",
    ]);
    const ohlcv = tools.find((tool) => tool.name === "get_ohlcv");
    expect(ohlcv?.outputSchema?.properties).toHaveProperty("candles");
    expect(ohlcv?.annotations?.readOnlyHint).toBe(true);
  });

  it("makes candles of any width from the stored prices, as time_bucket does", async () => {
    for (const width of ["1h", "4h", "15m"]) {
      const result = await callOk<{ candles: Candle[]; count: number; truncated: boolean }>(
        client,
        "get_ohlcv",
        {
          coin: "bitcoin",
          width,
          ...DAY_ONE,
        },
      );
      const expected = await expectedCandles("bitcoin", width, DAY_ONE.start, DAY_ONE.end);
      expect(result.count).toBe(expected.length);
      expect(result.truncated).toBe(false);
      expect(result.candles.map(asNumbers)).toEqual(expected.map(asNumbers));
    }
    const daily = await callOk<{ candles: Candle[] }>(client, "get_ohlcv", {
      coin: "ethereum",
      width: "1d",
      start: "2024-01-01",
      end: "2024-01-03",
    });
    expect(daily.candles.map((candle) => [candle.timestamp, candle.samples])).toEqual([
      ["2024-01-01T00:00:00.000Z", 1440],
      ["2024-01-02T00:00:00.000Z", 1440],
    ]);
  });

  it("reads price history in order, bounded by the limit", async () => {
    const hour = { start: "2024-01-01T10:00:00Z", end: "2024-01-01T11:00:00Z" };
    const history = await callOk<{ prices: { lastUpdated: string; usdPrice: string }[]; count: number }>(
      client,
      "get_price_history",
      { coin: "solana", ...hour },
    );
    const rows = await sql<{ usd_price: string }>(
      `SELECT usd_price::text FROM ${pricesTable()} WHERE coin_id = 'solana' AND last_updated >= $1 AND last_updated < $2 ORDER BY last_updated`,
      [hour.start, hour.end],
    );
    expect(history.count).toBe(60);
    expect(history.prices.map((price) => Number(price.usdPrice))).toEqual(
      rows.map((row) => Number(row.usd_price)),
    );
    expect(history.prices[0]?.lastUpdated).toBe("2024-01-01T10:00:00.000Z");
    const limited = await callOk<{ count: number; truncated: boolean }>(client, "get_price_history", {
      coin: "solana",
      ...hour,
      limit: 10,
    });
    expect(limited).toMatchObject({ count: 10, truncated: true });
  });

  it("reads market analytics and current prices", async () => {
    const analytics = await callOk<{ count: number; analytics: { timestamp: string }[] }>(
      client,
      "get_market_analytics",
      { start: "2024-01-01", end: "2024-01-03", limit: 5000 },
    );
    const [stored] = await sql<{ count: string }>(`SELECT count(*) FROM "${schema}".crypto_market_analytics`);
    expect(analytics.count).toBe(Number(stored?.count));
    expect(analytics.count).toBeGreaterThan(0);

    const current = await callOk<{ prices: { coinId: string; usdPrice: string; lastUpdated: string }[] }>(
      client,
      "get_current_prices",
      { coins: ["bitcoin"] },
    );
    // The synthetic source's current price is its last tick, which the pipeline stored.
    const [latest] = await sql<{ usd_price: string; last_updated: Date }>(
      `SELECT usd_price::text, last_updated FROM ${pricesTable()} WHERE coin_id = 'bitcoin' ORDER BY last_updated DESC LIMIT 1`,
    );
    expect(Number(current.prices[0]?.usdPrice)).toBe(Number(latest?.usd_price));
    expect(current.prices[0]?.lastUpdated).toBe(latest?.last_updated.toISOString());
  });

  it("reports the data age per coin and the store's health", async () => {
    const status = await callOk<{
      mode: string;
      ready: boolean;
      adapters: Record<string, { status: string }>;
      coins: { coinId: string; newestTime: string; dataAgeSeconds: number }[];
      lag: { maxDataAgeSeconds: number };
    }>(client, "pipeline_status");
    expect(status.mode).toBe("serving");
    expect(status.adapters.db?.status).toBe("healthy");
    expect(status.coins.map((coin) => coin.coinId).sort()).toEqual(COINS);
    const newest = new Date(Date.UTC(2024, 0, 1) + (TICKS - 1) * 60_000).toISOString();
    for (const coin of status.coins) {
      expect(coin.newestTime).toBe(newest);
      expect(Math.abs(coin.dataAgeSeconds - (Date.now() - Date.parse(newest)) / 1000)).toBeLessThan(60);
    }
    expect(status.ready).toBe(true);
  });

  it("answers bad input with isError results that say what is wrong, and keeps serving", async () => {
    const [before] = await sql<{ count: string }>(`SELECT count(*) FROM ${pricesTable()}`);
    const cases: [string, Record<string, unknown>, string][] = [
      [
        "get_ohlcv",
        { coin: "dogecoin", ...DAY_ONE },
        'no prices are stored for coin "dogecoin" in target "db"',
      ],
      ["get_price_history", { coin: "dogecoin", ...DAY_ONE }, "coins with data: bitcoin, ethereum, solana"],
      [
        "get_ohlcv",
        { coin: "bitcoin", start: DAY_ONE.end, end: DAY_ONE.start },
        "the range is inverted or empty",
      ],
      [
        "get_price_history",
        { coin: "bitcoin", start: "2022-01-01", end: "2024-01-01" },
        "730 days long; at most 366 days per query",
      ],
      [
        "get_ohlcv",
        { coin: "bitcoin", width: "1m", start: "2024-01-01", end: "2024-02-01" },
        "at most 5000 per call",
      ],
      ["get_price_history", { coin: 42, ...DAY_ONE }, "coin"],
      ["get_price_history", { coin: "bitcoin", limit: "ten" }, "limit"],
      ["get_price_history", { coin: "bitcoin", limit: 1_000_000 }, "limit must be at most 5000"],
      ["get_ohlcv", { coin: "bitcoin", width: "5 minutes" }, '"5 minutes" is not a candle width'],
      ["get_price_history", { coin: "bitcoin", start: "yesterday" }, '"yesterday" is not a time'],
      ["get_price_history", { coin: INJECTION, ...DAY_ONE }, `"${INJECTION}" is not a coin id`],
      ["get_ohlcv", { coin: INJECTION, ...DAY_ONE }, "is not a coin id"],
      ["get_current_prices", { coins: ["bitcoin", INJECTION] }, "is not a coin id"],
      ["get_price_history", { coin: "bitcoin", exchange: "x' OR '1'='1" }, "is not an exchange id"],
      ["get_price_history", { coin: "bitcoin", target: "db; DROP SCHEMA public" }, "is not a target id"],
    ];
    for (const [tool, args, message] of cases) {
      const result = await call(client, tool, args);
      expect(result.isError, `${tool} ${JSON.stringify(args)}: ${result.text}`).toBe(true);
      expect(result.text, `${tool} ${JSON.stringify(args)}`).toContain(message);
    }
    // Still serving, and the table is intact.
    const after = await callOk<{ count: number }>(client, "get_ohlcv", { coin: "bitcoin", ...DAY_ONE });
    expect(after.count).toBe(24);
    const [table] = await sql<{ name: string | null }>("SELECT to_regclass($1)::text AS name", [
      `"${schema}".crypto_prices`,
    ]);
    expect(table?.name).toBe(`${schema}.crypto_prices`);
    const [count] = await sql<{ count: string }>(`SELECT count(*) FROM ${pricesTable()}`);
    expect(count?.count).toBe(before?.count);
  });

  it("serves the pipeline config without the database password", async () => {
    const resource = await client.readResource({ uri: PIPELINE_CONFIG_URI });
    const text = (resource.contents[0] as { text: string }).text;
    expect(text).toContain(schema);
    expect(text).not.toContain(secret);
    expect(JSON.parse(text).targets[0].config.connectionString).toContain(":***@");
  });
});

describe("over Streamable HTTP (qicore mcp --transport http, a token, writes allowed)", () => {
  const token = `it-token-${Math.random().toString(36).slice(2)}-0123456789`;
  let server: SpawnedServer;
  let url: string;
  let client: Client;

  beforeAll(async () => {
    server = spawnServer(["--transport", "http", "--port", "0", "--allow-writes"], {
      QICORE_MCP_TOKEN: token,
    });
    const match = await server.waitForStderr(
      /serving MCP on (http:\/\/127\.0\.0\.1:\d+\/mcp) \(bearer token required\)/,
    );
    url = match[1] as string;
    client = await connectHttp(url, token);
  }, 60_000);

  afterAll(async () => {
    await client?.close();
  });

  it("refuses requests without the token or with a wrong one", async () => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} });
    const headers = { "Content-Type": "application/json", Accept: "application/json, text/event-stream" };
    expect((await fetch(url, { method: "POST", headers, body })).status).toBe(401);
    const wrong = await fetch(url, {
      method: "POST",
      headers: { ...headers, Authorization: "Bearer nope-nope-nope-nope" },
      body,
    });
    expect(wrong.status).toBe(401);
    await expect(connectHttp(url)).rejects.toThrow();
    expect(server.stderr()).not.toContain(token);
  });

  it("serves candles to the SDK client with the token", async () => {
    const result = await callOk<{ candles: Candle[] }>(client, "get_ohlcv", {
      coin: "bitcoin",
      width: "6h",
      ...DAY_ONE,
    });
    const expected = await expectedCandles("bitcoin", "6h", DAY_ONE.start, DAY_ONE.end);
    expect(result.candles.map(asNumbers)).toEqual(expected.map(asNumbers));
    expect(result.candles).toHaveLength(4);
  });

  it("stores validated prices through the timescale target, and nothing from an invalid call", async () => {
    const price = (minute: number, usdPrice: string) => ({
      coinId: "mcp-test-coin",
      symbol: "MTC",
      usdPrice,
      lastUpdated: `2024-01-01T00:0${minute}:00Z`,
      source: "agent",
      attribution: "an MCP integration test",
    });
    const count = async () =>
      Number(
        (
          await sql<{ count: string }>(
            `SELECT count(*) FROM ${pricesTable()} WHERE coin_id = 'mcp-test-coin'`,
          )
        )[0]?.count,
      );
    const invalid = await call(client, "store_prices", {
      prices: [price(0, "1.5"), price(1, "not a number")],
    });
    expect(invalid.isError).toBe(true);
    expect(invalid.text).toContain("prices[1]");
    expect(await count()).toBe(0);

    const stored = await callOk<{ results: { target: string; written: number }[] }>(client, "store_prices", {
      prices: [price(0, "12345.12345678"), price(1, "0.00000001"), price(2, "99999999999.5")],
    });
    expect(stored.results).toEqual([{ target: "db", written: 3, failed: [] }]);
    expect(await count()).toBe(3);
    const history = await callOk<{ prices: { usdPrice: string }[] }>(client, "get_price_history", {
      coin: "mcp-test-coin",
      start: "2024-01-01",
      end: "2024-01-02",
    });
    expect(history.prices.map((row) => row.usdPrice)).toEqual([
      "12345.12345678",
      "0.00000001",
      "99999999999.5",
    ]);
  });

  it("stops on SIGTERM with exit code 0", async () => {
    server.child.kill("SIGTERM");
    expect(await exitWithin(server, 10_000)).toBe(0);
    expect(server.stderr()).toContain("stopping");
  });
});

describe("running the pipeline in the same process (--run)", () => {
  it("reports the pipeline's state, metrics and lag, and reads what the running pipeline writes", async () => {
    const runSchema = `${schema}_run`;
    const loaded = await loadPipelineConfig(
      {
        name: "mcp-run",
        sources: [
          {
            id: "gen",
            type: "synthetic",
            config: { coins: ["bitcoin", "ethereum"], ratePerSecond: 500, batchSize: 50 },
          },
        ],
        targets: [
          { id: "db", type: "timescale", config: { connectionString: databaseUrl, schema: runSchema } },
        ],
        delivery: { batch: { maxRecords: 100, maxWait: "50ms" } },
        state: { store: "file", path: "run-state.json" },
      },
      { registry: defaultRegistry(), baseDir: folder },
    );
    if (!loaded.ok) throw loaded.error;
    const started = await startMcpServer({
      config: loaded.value,
      transport: "http",
      port: 0,
      run: true,
      logger: silentLogger,
    });
    if (!started.ok) throw started.error;
    const server = started.value;
    const client = await connectHttp(server.url as string);
    try {
      type Status = {
        mode: string;
        state: string;
        adapters: Record<string, { status: string }>;
        metrics: { recordsOut: Record<string, number> } | null;
        lag: { queueDepthRecords: number | null };
        coins: { coinId: string; pipelineDataAgeSeconds: number | null }[];
      };
      await expect
        .poll(async () => (await callOk<Status>(client, "pipeline_status")).coins.length, { timeout: 20_000 })
        .toBe(2);
      const status = await callOk<Status>(client, "pipeline_status");
      expect(status.mode).toBe("running");
      expect(status.state).toBe("running");
      expect(Object.keys(status.adapters).sort()).toEqual(["db", "gen"]);
      expect(status.adapters.db?.status).toBe("healthy");
      expect(status.metrics?.recordsOut.db).toBeGreaterThan(0);
      expect(status.lag.queueDepthRecords).toEqual(expect.any(Number));
      for (const coin of status.coins) expect(coin.pipelineDataAgeSeconds).toEqual(expect.any(Number));
      const candles = await callOk<{ count: number }>(client, "get_ohlcv", {
        coin: "bitcoin",
        width: "1h",
        start: "2024-01-01",
        end: "2024-01-02",
      });
      expect(candles.count).toBeGreaterThan(0);
      await client.close();
      await server.close();
      // The pipeline stopped with the server: nothing more is written.
      const count = async () =>
        (await sql<{ count: string }>(`SELECT count(*) FROM "${runSchema}".crypto_prices`))[0]?.count;
      const atClose = await count();
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await count()).toBe(atClose);
    } finally {
      await client.close();
      await server.close();
      await database.query(`DROP SCHEMA IF EXISTS "${runSchema}" CASCADE`);
    }
  }, 60_000);
});

describe("the MCP Inspector CLI", () => {
  function inspector(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = {
      ...serverEnv({}),
      MCP_CATALOG_PATH: join(folder, "inspector-catalog.json"),
    };
    const command = [
      "--cli",
      "-e",
      `DATABASE_URL=${databaseUrl}`,
      "-e",
      `TSX_TSCONFIG_PATH=${ROOT_TSCONFIG}`,
      "--cwd",
      folder,
      process.execPath,
      ...qicoreArgs(["mcp", "pipeline.yaml"]),
      ...args,
    ];
    return new Promise((resolve) => {
      execFile(INSPECTOR_BIN, command, { env, cwd: folder, timeout: 60_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  const json = (text: string) => JSON.parse(text.slice(text.indexOf("{")));

  it("lists the tools", async () => {
    const listed = await inspector(["--method", "tools/list"]);
    expect(listed.code, listed.stderr).toBe(0);
    const names = (json(listed.stdout).tools as { name: string }[]).map((tool) => tool.name);
    expect(names).toContain("get_ohlcv");
    expect(names).not.toContain("store_prices");
  }, 60_000);

  it("calls get_ohlcv successfully, and fails on an injection attempt", async () => {
    const called = await inspector([
      "--method",
      "tools/call",
      "--tool-name",
      "get_ohlcv",
      "--tool-args-json",
      JSON.stringify({ coin: "ethereum", width: "2h", ...DAY_ONE }),
    ]);
    expect(called.code, called.stderr).toBe(0);
    const result = json(called.stdout) as { structuredContent: { candles: Candle[] }; isError?: boolean };
    expect(result.isError).toBeFalsy();
    const expected = await expectedCandles("ethereum", "2h", DAY_ONE.start, DAY_ONE.end);
    expect(result.structuredContent.candles.map(asNumbers)).toEqual(expected.map(asNumbers));

    const refused = await inspector([
      "--method",
      "tools/call",
      "--tool-name",
      "get_ohlcv",
      "--tool-args-json",
      JSON.stringify({ coin: INJECTION }),
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain("is not a coin id");
  }, 60_000);
});

describe("the server process", () => {
  it("starts, answers initialize on stdout, and exits 0 when stdin closes", async () => {
    const started = Date.now();
    const server = spawnServer([]);
    await server.waitForStderr(/serving MCP on stdio/);
    const startupMs = Date.now() - started;
    server.child.stdin.write(
      `${JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: {
          protocolVersion: "2025-06-18",
          capabilities: {},
          clientInfo: { name: "raw", version: "1" },
        },
      })}\n`,
    );
    await expect.poll(() => server.stdout(), { timeout: 10_000 }).toContain('"serverInfo"');
    expect(JSON.parse(server.stdout().trim().split("\n")[0] as string).result.serverInfo.name).toBe("qicore");
    server.child.stdin.end();
    expect(await exitWithin(server, 5_000)).toBe(0);
    // From source through tsx (transpiling on the fly); the built package starts faster.
    expect(startupMs).toBeLessThan(15_000);
  }, 30_000);

  it("exits 0 on SIGINT", async () => {
    const server = spawnServer([]);
    await server.waitForStderr(/serving MCP on stdio/);
    server.child.kill("SIGINT");
    expect(await exitWithin(server, 5_000)).toBe(0);
  }, 30_000);

  it("refuses to start on a non-loopback address without a token (exit 2)", async () => {
    const server = spawnServer(["--transport", "http", "--host", "0.0.0.0", "--port", "0"]);
    expect(await exitWithin(server, 15_000)).toBe(2);
    expect(server.stderr()).toContain("refusing to serve on 0.0.0.0 without a bearer token");
  }, 30_000);
});
