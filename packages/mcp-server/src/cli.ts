import { resolve } from "node:path";
import type { Readable, Writable } from "node:stream";
import { parseArgs } from "node:util";
import {
  type ConfigProblem,
  createConsoleLogger,
  defaultRegistry,
  formatConfigProblems,
  type LogLevel,
  loadPipelineFile,
} from "@qicore/core";
import { checkHttpSecurity } from "./http-transport";
import { startMcpServer } from "./start";
import type { CommandIO } from "./types";

/** Exit codes, the same as `qicore`'s. */
export const EXIT = { OK: 0, FAILED: 1, INVALID: 2, FORCED: 130 } as const;

export const mcpHelp = `Usage: qicore mcp <pipeline.yaml> [options]

Serves the pipeline's market data to AI agents over the Model Context Protocol:
current prices (through a source), price history, candles of any width and market
analytics (from the TimescaleDB target), pipeline status, and the DSL's JSON Schemas.

Options:
  --transport stdio|http   stdio (default): for a client that starts this process;
                           http: Streamable HTTP on http://<host>:<port>/mcp
  --host <address>         HTTP address to bind (default 127.0.0.1); any other address
                           requires a token
  --port <port>            HTTP port (default 3100; 0 picks a free one)
  --token <token>          bearer token HTTP clients must send (default: $QICORE_MCP_TOKEN);
                           prefer the variable: a command line is visible to other users
  --allow-writes           offer store_prices and store_ohlcv (read-only by default)
  --run                    also run the pipeline in this process
  --log-level <level>      debug|info|warn|error|silent (default: the pipeline file's)
  -h, --help               this text

Exit codes: 0 stopped (SIGINT/SIGTERM, stdin closed), 1 failed, 2 invalid usage or pipeline
file, 130 a second signal forced the exit.`;

const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"];

/** Process hooks runMcpCli uses; the process's own by default (tests give their own). */
export interface McpCliRuntime {
  stdin?: Readable;
  stdout?: Writable;
  /** Subscribes to the stop signals; returns an unsubscribe function. */
  onSignal?: (listener: (signal: string) => void) => () => void;
}

/**
 * `qicore mcp <pipeline.yaml> [options]`: the core CLI hands its arguments here.
 * Resolves with the exit code once the server has stopped.
 */
export async function runMcpCli(
  args: readonly string[],
  io: CommandIO,
  runtime: McpCliRuntime = {},
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (thrown) {
    io.error(`${(thrown as Error).message}\n\n${mcpHelp}`);
    return EXIT.INVALID;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    // Not io.out: under the stdio transport standard output belongs to the protocol.
    io.error(mcpHelp);
    return EXIT.OK;
  }
  const [file, ...extra] = positionals;
  if (!file || extra.length > 0) {
    io.error(`${file ? `unexpected argument "${extra[0]}"` : "name the pipeline file"}\n\n${mcpHelp}`);
    return EXIT.INVALID;
  }
  const transport = values.transport ?? "stdio";
  if (transport !== "stdio" && transport !== "http") {
    io.error(`--transport must be stdio or http, not "${transport}"`);
    return EXIT.INVALID;
  }
  const port = values.port === undefined ? 3100 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    io.error(`--port must be a port number (0-65535), not "${values.port}"`);
    return EXIT.INVALID;
  }
  if (values["log-level"] !== undefined && !LOG_LEVELS.includes(values["log-level"])) {
    io.error(`--log-level must be one of ${LOG_LEVELS.join(", ")}`);
    return EXIT.INVALID;
  }
  const host = values.host ?? "127.0.0.1";
  const token = values.token ?? (io.env.QICORE_MCP_TOKEN || undefined);
  if (transport === "http") {
    const problem = checkHttpSecurity(host, token);
    if (problem) {
      io.error(`qicore mcp: ${problem.message}`);
      return EXIT.INVALID;
    }
  } else if (values.host !== undefined || values.port !== undefined || values.token !== undefined) {
    io.error("--host, --port and --token apply to --transport http only");
    return EXIT.INVALID;
  }

  const path = resolve(io.cwd, file);
  const registry = defaultRegistry();
  const loaded = await loadPipelineFile(path, { registry, env: io.env });
  if (!loaded.ok) {
    const problems = (loaded.error.context.problems as ConfigProblem[] | undefined) ?? [
      { path: "", message: loaded.error.message },
    ];
    io.error(formatConfigProblems(problems));
    io.error(`${problems.length} problem(s) in ${file}`);
    return EXIT.INVALID;
  }
  const config = loaded.value;
  const logger = createConsoleLogger({
    level: (values["log-level"] as LogLevel | undefined) ?? config.logging.level,
    format: config.logging.format,
    write: (line) => io.error(line),
  }).child({ mcp: config.name });

  const started = await startMcpServer({
    config,
    transport,
    host,
    port,
    ...(token !== undefined ? { token } : {}),
    allowWrites: values["allow-writes"] === true,
    run: values.run === true,
    env: io.env,
    registry,
    logger,
    ...(runtime.stdin ? { stdin: runtime.stdin } : {}),
    ...(runtime.stdout ? { stdout: runtime.stdout } : {}),
  });
  if (!started.ok) {
    io.error(`qicore mcp: ${started.error.message}`);
    return started.error.category === "VALIDATION" || started.error.category === "SECURITY"
      ? EXIT.INVALID
      : EXIT.FAILED;
  }
  const server = started.value;
  logger.info(
    server.url
      ? `serving MCP on ${server.url}${token ? " (bearer token required)" : ""}`
      : "serving MCP on stdio",
    { writes: values["allow-writes"] === true, run: values.run === true },
  );

  const onSignal = runtime.onSignal ?? processSignals;
  let signals = 0;
  let unsubscribe = () => {};
  const stopped = await new Promise<{ reason: string; forced: boolean }>((resolveStop) => {
    unsubscribe = onSignal((signal) => {
      signals += 1;
      if (signals > 1) resolveStop({ reason: `second ${signal}`, forced: true });
      else resolveStop({ reason: signal, forced: false });
    });
    void server.ended.then((reason) => resolveStop({ reason, forced: false }));
  });
  if (stopped.forced) {
    unsubscribe();
    return EXIT.FORCED;
  }
  logger.info("stopping", { reason: stopped.reason });
  // A second signal while closing ends the wait.
  const forced = new Promise<"forced">((resolveForced) => {
    unsubscribe();
    unsubscribe = onSignal(() => resolveForced("forced"));
  });
  const outcome = await Promise.race([server.close().then(() => "closed" as const), forced]);
  unsubscribe();
  if (outcome === "forced") return EXIT.FORCED;
  return stopped.reason.startsWith("the pipeline failed") ? EXIT.FAILED : EXIT.OK;
}

function processSignals(listener: (signal: string) => void): () => void {
  const handlers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const handler = () => listener(signal);
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: "boolean", short: "h" },
      transport: { type: "string" },
      host: { type: "string" },
      port: { type: "string" },
      token: { type: "string" },
      "allow-writes": { type: "boolean" },
      run: { type: "boolean" },
      "log-level": { type: "string" },
    },
  });
}
