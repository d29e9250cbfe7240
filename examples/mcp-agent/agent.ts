/**
 * What an AI agent sees of QiCore: starts the MCP server over Streamable HTTP (with a
 * bearer token) running pipeline.yaml in the same process, then asks it, as an MCP client,
 * for the pipeline's status and for bitcoin's 4-hour candles, and shows that an injection
 * attempt is refused. `--check` verifies the figures and exits non-zero on a mismatch (CI).
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { defaultRegistry, loadPipelineFile } from "@qicore/core";
import { startMcpServer } from "@qicore/mcp-server";
import "@qicore/target-timescale";

const here = dirname(fileURLToPath(import.meta.url));
const check = process.argv.includes("--check");
rmSync(join(here, ".qicore"), { recursive: true, force: true });

const loaded = await loadPipelineFile(join(here, "pipeline.yaml"), { registry: defaultRegistry() });
if (!loaded.ok) {
  console.error(loaded.error.message);
  process.exit(2);
}
const token = randomBytes(24).toString("hex");
const started = await startMcpServer({ config: loaded.value, transport: "http", port: 0, token, run: true });
if (!started.ok) {
  console.error(started.error.message);
  process.exit(1);
}
const server = started.value;
console.log(`MCP server on ${server.url}`);

const client = new Client({ name: "example-agent", version: "1.0.0" });
await client.connect(
  new StreamableHTTPClientTransport(new URL(server.url as string), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  }),
);

async function call(name: string, args: Record<string, unknown> = {}) {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = result.content.map((block) => (block.type === "text" ? block.text : "")).join("");
  return {
    isError: result.isError === true,
    text,
    data: result.structuredContent as Record<string, unknown>,
  };
}

// The pipeline is bounded: wait until it has stored everything.
let status = await call("pipeline_status");
for (let waited = 0; status.data?.state !== "stopped" && waited < 60_000; waited += 200) {
  await new Promise((resolve) => setTimeout(resolve, 200));
  status = await call("pipeline_status");
}
const metrics = status.data?.metrics as { recordsOut: Record<string, number> } | undefined;
console.log(`pipeline ${status.data?.state}: ${metrics?.recordsOut.db ?? 0} prices stored`);

const tools = (await client.listTools()).tools.map((tool) => tool.name);
console.log(`tools: ${tools.join(", ")}`);
const candles = await call("get_ohlcv", {
  coin: "bitcoin",
  width: "4h",
  start: "2024-01-01T00:00:00Z",
  end: "2024-01-02T00:00:00Z",
});
const rows = (candles.data?.candles ?? []) as {
  timestamp: string;
  open: string;
  close: string;
  samples: number;
}[];
console.log("\nbitcoin, 4h candles of 2024-01-01:");
console.table(rows.map(({ timestamp, open, close, samples }) => ({ timestamp, open, close, samples })));
const refused = await call("get_ohlcv", { coin: "bitcoin'; DROP TABLE crypto_prices;--" });
console.log(`\nan injection attempt: ${refused.text}`);

await client.close();
await server.close();

if (check) {
  const failures: string[] = [];
  if (status.data?.state !== "stopped")
    failures.push(`pipeline state ${String(status.data?.state)}, expected stopped`);
  if (metrics?.recordsOut.db !== 8640)
    failures.push(`stored ${metrics?.recordsOut.db} prices, expected 8640`);
  if (tools.includes("store_prices")) failures.push("store_prices is offered without allowWrites");
  if (candles.isError) failures.push(`get_ohlcv failed: ${candles.text}`);
  if (rows.length !== 6) failures.push(`${rows.length} candles, expected 6`);
  if (rows.some((row) => row.samples !== 240)) failures.push("a 4h candle is not made of 240 minute prices");
  if (rows[0]?.timestamp !== "2024-01-01T00:00:00.000Z")
    failures.push(`first candle at ${rows[0]?.timestamp}`);
  if (!refused.isError || !refused.text.includes("is not a coin id"))
    failures.push("the injection was not refused");
  if (failures.length > 0) {
    console.error(`check failed:\n- ${failures.join("\n- ")}`);
    process.exit(1);
  }
  console.log("check passed");
}
