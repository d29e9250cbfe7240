#!/usr/bin/env node
import { runMcpCli } from "./cli";

// `qicore-mcp <pipeline.yaml> [options]`, the same as `qicore mcp`, for MCP client configs
// that start the server directly. Standard output is the stdio transport's channel.
runMcpCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
  error: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
  env: process.env,
  cwd: process.cwd(),
}).then(
  (code) => {
    process.exitCode = code;
    // Exit even if a library left a handle open; the unref'd timer does not itself keep the process alive.
    setTimeout(() => process.exit(code), 1000).unref();
  },
  (thrown: unknown) => {
    process.stderr.write(
      `qicore-mcp: unexpected error: ${thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown)}\n`,
    );
    process.exitCode = 1;
  },
);
