/** Version of this @qicore/mcp-server, reported to clients; a test keeps it equal to package.json's. */
export const MCP_SERVER_VERSION = "0.1.0";
