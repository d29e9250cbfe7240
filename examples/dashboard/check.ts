/**
 * Runs pipeline.yaml with `qicore run --ui` (the built CLI, as a user runs it), then checks the
 * dashboard from outside over HTTP, as the page does: the graph has the pipeline's nodes and
 * edge, the counters move (in /api/status and in the live /api/events stream), the freshness
 * table lists the three coins, candles are charted from the embedded database, the config is
 * shown with `validate`'s verdict; the token (read from a file, so it is never on the command
 * line) is required and never printed; a foreign Host is refused. Then SIGTERM, and the run must
 * drain and exit 0. Exits non-zero on a mismatch. CI runs it (`pnpm examples`, after
 * `pnpm build`); it needs no service and no internet.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const coreDir = dirname(createRequire(import.meta.url).resolve("@qicore/core/package.json"));
const qicore = join(coreDir, "dist/cli/bin.js");
const failures: string[] = [];
const expect = (condition: boolean, message: string) => condition || failures.push(message);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Status {
  state: string;
  metrics: { recordsIn: Record<string, number>; recordsOut: Record<string, number> };
  freshness: { series: string; ageSeconds: number }[];
}

rmSync(join(here, ".qicore"), { recursive: true, force: true });
mkdirSync(join(here, ".qicore"), { recursive: true });
const token = randomBytes(24).toString("hex");
writeFileSync(join(here, ".qicore/ui-token"), `${token}\n`, { mode: 0o600 });

// The embedded database, whatever DATABASE_URL the machine has: the check must not write elsewhere.
const env = { ...process.env };
delete env.DATABASE_URL;
delete env.QICORE_UI_TOKEN;
const child: ChildProcess = spawn(
  process.execPath,
  [
    qicore,
    ...["run", "pipeline.yaml", "--ui", "--ui-port", "0", "--ui-token-file", ".qicore/ui-token"],
    ...["--log-format", "json", "--no-progress"],
  ],
  { cwd: here, env, stdio: ["ignore", "pipe", "pipe"] },
);
let output = "";
child.stdout?.on("data", (chunk: Buffer) => {
  output += chunk.toString();
});
child.stderr?.on("data", (chunk: Buffer) => {
  output += chunk.toString();
});
const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string): Promise<T> {
  for (let waited = 0; ; waited += 100) {
    const found = await probe();
    if (found !== undefined) return found;
    if (child.exitCode !== null) throw new Error(`qicore run exited (${child.exitCode}) before ${what}`);
    if (waited > 90_000) throw new Error(`timed out waiting until ${what}`);
    await sleep(100);
  }
}

const authorization = { authorization: `Bearer ${token}` };

async function api<T>(base: string, path: string): Promise<T> {
  const response = await fetch(new URL(path, base), { headers: authorization });
  if (response.status !== 200)
    throw new Error(`GET ${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Two `status` events of the live stream, as the page's EventSource gets them. */
async function liveEvents(base: string, count: number): Promise<Status[]> {
  const controller = new AbortController();
  const response = await fetch(new URL("api/events", base), {
    headers: authorization,
    signal: controller.signal,
  });
  expect(response.headers.get("content-type") === "text/event-stream", "/api/events is not an event stream");
  const events: Status[] = [];
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    text += decoder.decode(chunk, { stream: true });
    for (let end = text.indexOf("\n\n"); end >= 0; end = text.indexOf("\n\n")) {
      const data = /^event: status\ndata: (.*)$/s.exec(text.slice(0, end))?.[1];
      text = text.slice(end + 2);
      if (data) events.push(JSON.parse(data) as Status);
    }
    if (events.length >= count) break;
  }
  controller.abort();
  return events;
}

/** A request with a Host header of another site (fetch cannot set Host). */
function statusWithHost(base: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(new URL("api/status", base), { headers: { ...authorization, host } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    })
      .on("error", reject)
      .end();
  });
}

try {
  const base = await waitFor(
    () => /"dashboard on (http:\/\/127\.0\.0\.1:\d+\/)"/.exec(output)?.[1],
    "the dashboard listened",
  );

  // The token from the file is required, and is the right one.
  const anonymous = await fetch(new URL("api/status", base));
  expect(anonymous.status === 401, `without the token /api/status answered ${anonymous.status}, not 401`);
  expect((await statusWithHost(base, "evil.example")) === 403, "a foreign Host header was not refused");

  const overview = await api<{
    mode: string;
    graph: { nodes: { id: string; role: string; type: string }[]; edges: { from: string; to: string }[] };
    readableTargets: string[];
  }>(base, "api/overview");
  expect(overview.mode === "run", `the dashboard's mode is ${overview.mode}, not run`);
  const nodes = overview.graph.nodes.map((node) => `${node.role} ${node.id} ${node.type}`);
  expect(
    JSON.stringify(nodes) === JSON.stringify(["source source:gen synthetic", "target target:db timescale"]),
    `graph nodes: ${JSON.stringify(nodes)}`,
  );
  const edges = overview.graph.edges.map((edge) => `${edge.from} → ${edge.to}`);
  expect(JSON.stringify(edges) === JSON.stringify(["source:gen → target:db"]), `graph edges: ${edges}`);
  expect(overview.readableTargets.includes("db"), "the timescale target has no reader for charts");

  // Counters move: twice over /api/status, and in the live stream.
  const first = await waitFor(async () => {
    const status = await api<Status>(base, "api/status");
    return (status.metrics.recordsOut.db ?? 0) > 0 ? status : undefined;
  }, "the first records were written");
  await sleep(1500);
  const second = await api<Status>(base, "api/status");
  expect(second.state === "running", `the pipeline is ${second.state}`);
  expect(
    (second.metrics.recordsOut.db ?? 0) > (first.metrics.recordsOut.db ?? 0),
    `records written did not grow: ${first.metrics.recordsOut.db} then ${second.metrics.recordsOut.db}`,
  );
  const events = await liveEvents(base, 3);
  const written = events.map((event) => event.metrics.recordsOut.db ?? 0);
  expect(
    events.length === 3 && (written[2] as number) > (written[0] as number),
    `live events did not show counters moving: ${written.join(", ")}`,
  );
  const series = second.freshness.map((entry) => entry.series).sort();
  expect(
    JSON.stringify(series) === JSON.stringify(["bitcoin", "ethereum", "solana"]),
    `freshness lists ${series.join(", ")}`,
  );

  // Candles from the embedded database: a tick is a minute of market time, twenty a second, so
  // 5-minute candles of five prices each fill up at once (the newest may still be partial).
  const candles = await waitFor(async () => {
    const answer = await api<{
      candles: { open: string; high: string; low: string; close: string; samples: number }[];
    }>(base, "api/candles?coin=bitcoin&width=5m");
    return answer.candles.length >= 3 ? answer.candles : undefined;
  }, "candles were charted");
  const bounded = candles.every((candle) => {
    const [open, high, low, close] = [candle.open, candle.high, candle.low, candle.close].map(Number);
    return (
      (high as number) >= Math.max(open as number, close as number) &&
      (low as number) <= Math.min(open as number, close as number) &&
      (low as number) > 0
    );
  });
  expect(bounded, "a charted candle's high and low do not bound its open and close");
  expect(
    candles.every((candle) => candle.samples >= 1 && candle.samples <= 5) &&
      candles.some((candle) => candle.samples === 5),
    `5-minute candles of minute ticks hold 1 to 5 prices, and closed ones 5: ${candles.map((candle) => candle.samples)}`,
  );
  expect(
    candles.some((candle) => Number(candle.high) > Number(candle.low)),
    "every candle is flat: the chart would show no prices moving",
  );

  const config = await api<{ config: { name: string }; validate: { valid: boolean } }>(base, "api/config");
  expect(config.config.name === "dashboard-demo", `the config shown is ${config.config.name}`);
  expect(config.validate.valid, "validate finds problems in pipeline.yaml");

  child.kill("SIGTERM");
  const code = await exited;
  expect(code === 0, `qicore run exited ${code} after SIGTERM, not 0`);
  expect(!output.includes(token), "the token appears in qicore run's output");
} catch (thrown) {
  failures.push((thrown as Error).message);
} finally {
  if (child.exitCode === null) {
    child.kill("SIGKILL");
    await exited;
  }
}

if (failures.length > 0) {
  console.error(`✗ the dashboard example: ${failures.length} problem(s)\n  - ${failures.join("\n  - ")}`);
  console.error(`qicore run's output:\n${output.slice(-4000)}`);
  process.exit(1);
}
console.log(
  "✓ the dashboard example: graph gen → db, counters moving (status and live events), freshness of 3 coins, candles charted, config valid, token required and never printed",
);
