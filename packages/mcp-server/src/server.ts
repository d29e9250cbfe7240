import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { type AdapterRegistry, defaultRegistry } from "@qicore/core";
import { LIMITS } from "./limits";
import type { PipelineAccess } from "./pipeline-access";
import { registerResources } from "./resources";
import { registerMarketDataTools } from "./tools/market-data";
import { registerPipelineTools } from "./tools/pipeline";
import { registerStoreTools } from "./tools/store";
import { MCP_SERVER_VERSION } from "./version";

export interface QiCoreMcpServerOptions {
  /** Register store_prices and store_ohlcv. Off by default: the server is read-only. */
  allowWrites?: boolean;
  /** Where adapter types are looked up (list_adapters, validate_pipeline); the default registry when absent. */
  registry?: AdapterRegistry;
  /** Values for `${VAR}` when validate_pipeline checks the served file again; none when absent. */
  env?: Record<string, string | undefined>;
}

/**
 * One MCP server (one per client session) over a pipeline's adapters: the market-data
 * tools, the pipeline tools, the store tools when writes are allowed, and the resources.
 */
export function createQiCoreMcpServer(
  access: PipelineAccess,
  options: QiCoreMcpServerOptions = {},
): McpServer {
  const allowWrites = options.allowWrites === true;
  const server = new McpServer(
    { name: "qicore", title: "QiCore market data", version: MCP_SERVER_VERSION },
    {
      instructions: instructions(access, allowWrites),
      capabilities: { tools: {}, resources: {} },
      // Arguments larger than a full store call are refused before any parsing work.
      maxToolInputElements: LIMITS.maxStoreRecords * 20,
    },
  );
  registerMarketDataTools(server, access);
  registerPipelineTools(server, access, {
    registry: options.registry ?? defaultRegistry(),
    env: options.env ?? {},
  });
  if (allowWrites) registerStoreTools(server, access);
  registerResources(server, access);
  return server;
}

function instructions(access: PipelineAccess, allowWrites: boolean): string {
  const { config } = access;
  const sources = config.sources.map((spec) => `${spec.id} (${spec.definition.name})`).join(", ");
  const targets = config.targets.map((spec) => `${spec.id} (${spec.definition.name})`).join(", ");
  return [
    `Crypto market data of the QiCore pipeline "${config.name}" (sources: ${sources || "none"}; targets: ${targets || "none"}).`,
    "Coin ids are lowercase CoinGecko-style ids (bitcoin, ethereum). Times are ISO-8601 with a zone; decimals are exact strings.",
    `Queries cover at most ${LIMITS.maxRangeDays} days and return at most ${LIMITS.maxRows} rows; get_ohlcv makes candles of any width (5m, 1h, 4h, 1d) from stored prices.`,
    "pipeline_status says how fresh the data is; call it first when results look empty.",
    allowWrites
      ? "store_prices and store_ohlcv write validated records through the pipeline's targets."
      : "The server is read-only: storing tools are not offered (start it with --allow-writes to offer them).",
  ].join(" ");
}
