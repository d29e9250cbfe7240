export { EXIT, type McpCliRuntime, mcpHelp, runMcpCli } from "./cli";
export {
  checkHttpSecurity,
  type HttpTransportOptions,
  isLoopback,
  MCP_PATH,
  type McpHttpServer,
  MIN_TOKEN_LENGTH,
  serveHttp,
} from "./http-transport";
export { LIMITS } from "./limits";
export { PipelineAccess, type PipelineAccessOptions, type ReaderHandle } from "./pipeline-access";
export { PIPELINE_CONFIG_URI, schemaUri } from "./resources";
export { createQiCoreMcpServer, type QiCoreMcpServerOptions } from "./server";
export {
  type McpTransportName,
  type RunningMcpServer,
  type StartMcpServerOptions,
  startMcpServer,
} from "./start";
export type { CommandIO } from "./types";
export { MCP_SERVER_VERSION } from "./version";
