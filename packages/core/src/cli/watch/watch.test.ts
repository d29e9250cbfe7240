/**
 * `qicore top` and `qicore tap` as a user runs them: the real CLI in a child process against
 * the metrics server of a pipeline running here. `top` draws on a pseudo-terminal (util-linux
 * `script`), and its last screen is read back the way the terminal shows it.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRegistry } from "../../registry/registry";
import { type MetricsServer, serveMetrics } from "../../runtime/http-server";
import { silentLogger } from "../../runtime/logger";
import { Pipeline } from "../../runtime/pipeline";
import { MemoryStateStore } from "../../runtime/state-store";

const BIN = fileURLToPath(new URL("../bin.ts", import.meta.url));
const TSCONFIG = fileURLToPath(new URL("../../../../../tsconfig.json", import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

function run(
  command: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, TSX_TSCONFIG_PATH: TSCONFIG, TERM: "xterm-256color" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

const qicore = (args: string[]) => ["--import", TSX, BIN, ...args];
const shellQuote = (word: string) => `'${word.replace(/'/g, "'\\''")}'`;
const ESCAPE = String.fromCharCode(27);

async function pipelineWith(config: Record<string, unknown>): Promise<Pipeline> {
  const loaded = await Pipeline.fromConfig(config, {
    registry: createRegistry(),
    logger: silentLogger,
    stateStore: new MemoryStateStore(),
  });
  if (!loaded.ok) throw loaded.error;
  const started = await loaded.value.start();
  if (!started.ok) throw started.error;
  return loaded.value;
}

describe("qicore top on a pseudo-terminal", () => {
  let pipeline: Pipeline;
  let server: MetricsServer;
  beforeAll(async () => {
    const store = `top-${Date.now()}`;
    pipeline = await pipelineWith({
      name: "top-test",
      sources: [
        {
          id: "gen",
          type: "synthetic",
          config: { coins: ["bitcoin", "ethereum"], count: 300, batchSize: 50 },
        },
        { id: "extra", type: "synthetic", config: { coins: ["solana"], count: 50, seed: 3 } },
      ],
      targets: [
        { id: "mem", type: "memory", config: { store } },
        { id: "archive", type: "memory", config: { store: `${store}-archive` } },
      ],
      delivery: { batch: { maxRecords: 100, maxWait: "10ms" } },
      health: { freshness: { maxAge: "1h" } },
    });
    // Bounded sources: once done, the totals are known exactly.
    await pipeline.done;
    server = await serveMetrics(pipeline, { port: 0 });
  });
  afterAll(async () => {
    await server.close();
    await pipeline.destroy();
  });

  it("names every source and target with its totals after three refreshes", async () => {
    const command = [
      "stty cols 150 rows 50;",
      "exec",
      process.execPath,
      ...qicore(["top", server.url, "--iterations", "3", "--interval", "200ms"]),
    ]
      .map((word, index) => (index < 2 ? word : shellQuote(word)))
      .join(" ");
    const result = await run("script", ["-q", "-e", "-c", command, "/dev/null"]);
    expect(result.code, result.stderr).toBe(0);
    // Each refresh redraws the whole screen from its top-left corner.
    const frames = result.stdout.split(`${ESCAPE}[H${ESCAPE}[2J`).slice(1);
    expect(frames).toHaveLength(3);
    const screen = (frames.at(-1) as string)
      .replace(new RegExp(`${ESCAPE}\\[[0-9;?]*[a-zA-Z]`, "g"), "")
      .replace(/\r/g, "");
    const row = (id: string) => screen.split("\n").find((line) => line.startsWith(`${id} `)) ?? "";
    expect(screen).toContain("qicore top · top-test  stopped");
    // Sources: records read. Targets: records written (every source feeds every target).
    expect(row("gen").split(/\s+/).slice(0, 4)).toEqual(["gen", "synthetic", "0.0", "300"]);
    expect(row("extra").split(/\s+/).slice(0, 4)).toEqual(["extra", "synthetic", "0.0", "50"]);
    expect(row("mem").split(/\s+/).slice(0, 5)).toEqual(["mem", "memory", "0.0", "350", "0"]);
    expect(row("archive").split(/\s+/).slice(0, 5)).toEqual(["archive", "memory", "0.0", "350", "0"]);
    expect(screen).toContain("dead letters 0");
    // The synthetic data is from 2024: every series is older than the hour allowed.
    expect(screen).toContain("FRESHNESS  3 series, 3 stale (older than 3,600.0 s, health.freshness.maxAge)");
    for (const series of ["bitcoin", "ethereum", "solana"]) expect(row(series)).toMatch(/STALE$/);
  });

  it("says so when the pipeline does not answer", async () => {
    const result = await run(process.execPath, qicore(["top", "http://127.0.0.1:9", "--iterations", "1"]));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("cannot reach http://127.0.0.1:9/status");
  });
});

describe("qicore tap", () => {
  it("prints the records of a stage as JSON lines while the pipeline runs", async () => {
    const pipeline = await pipelineWith({
      name: "tap-test",
      sources: [
        {
          id: "gen",
          type: "synthetic",
          config: { coins: ["bitcoin", "ethereum"], ratePerSecond: 500, batchSize: 10 },
        },
      ],
      targets: [{ id: "mem", type: "memory", config: { store: `tap-${Date.now()}`, keep: false } }],
      delivery: { batch: { maxRecords: 10, maxWait: "10ms" } },
    });
    const server = await serveMetrics(pipeline, { port: 0 });
    try {
      const result = await run(
        process.execPath,
        qicore(["tap", server.url, "--source", "gen", "--instrument", "ethereum", "--limit", "12", "--meta"]),
      );
      expect(result.code, result.stderr).toBe(0);
      const lines = result.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      expect(lines).toHaveLength(12);
      for (const line of lines) {
        expect(line).toMatchObject({
          stage: "source",
          adapter: "gen",
          kind: "price",
          record: { coinId: "ethereum" },
        });
      }
      expect(result.stderr).toMatch(/qicore tap: 12 records, \d+ skipped by sampling .*; limit reached/);
      // Without --meta each line is the record alone, compact JSON, as a target wrote it.
      const plain = await run(
        process.execPath,
        qicore(["tap", server.url, "--target", "mem", "--limit", "20"]),
      );
      expect(plain.code, plain.stderr).toBe(0);
      const records = plain.stdout.trim().split("\n");
      expect(records).toHaveLength(20);
      for (const text of records) {
        const record = JSON.parse(text) as { coinId: string; usdPrice: string; stage?: string };
        expect(JSON.stringify(record)).toBe(text);
        expect(["bitcoin", "ethereum"]).toContain(record.coinId);
        expect(record.usdPrice).toMatch(/^\d+(\.\d+)?$/);
        expect(record.stage).toBeUndefined();
      }
      const refused = await run(process.execPath, qicore(["tap", server.url, "--target", "nope"]));
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('the pipeline has no target "nope"; its targets: mem');
      // The pipeline went on delivering throughout.
      expect(pipeline.status).toBe("running");
    } finally {
      await server.close();
      await pipeline.destroy();
    }
  });
});
