import type { Readable, Writable } from "node:stream";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import {
  type AdapterRegistry,
  createConsoleLogger,
  defaultRegistry,
  err,
  type Logger,
  ok,
  Pipeline,
  type QiError,
  type ResolvedPipeline,
  type Result,
} from "@qicore/core";
import { checkHttpSecurity, serveHttp } from "./http-transport";
import { PipelineAccess } from "./pipeline-access";
import { createQiCoreMcpServer } from "./server";

export type McpTransportName = "stdio" | "http";

export interface StartMcpServerOptions {
  /** The pipeline, loaded and resolved (loadPipelineFile). */
  config: ResolvedPipeline;
  transport: McpTransportName;
  /** HTTP: address to bind (127.0.0.1 by default; any other needs `token`). */
  host?: string;
  /** HTTP: port (3100 by default; 0 picks a free one). */
  port?: number;
  /** HTTP: bearer token required on every request. */
  token?: string;
  /** Offer store_prices and store_ohlcv. Read-only when absent. */
  allowWrites?: boolean;
  /** Also run the pipeline in this process; the tools then use its connected adapters. */
  run?: boolean;
  /** Values for `${VAR}` when validate_pipeline checks the served file again. */
  env?: Record<string, string | undefined>;
  registry?: AdapterRegistry;
  /** Diagnostics; never written to stdout, which is the stdio transport's channel. */
  logger?: Logger;
  /** stdio: the streams to talk over (the process's by default). */
  stdin?: Readable;
  stdout?: Writable;
}

export interface RunningMcpServer {
  transport: McpTransportName;
  /** HTTP: the endpoint URL. */
  url?: string;
  /** Resolves when the server ends by itself: stdin closed (stdio) or the pipeline failed (--run). */
  readonly ended: Promise<string>;
  /** Stops serving, then stops the pipeline (if it runs here) and closes connections. Idempotent. */
  close(): Promise<void>;
}

/** Starts serving a pipeline over MCP. */
export async function startMcpServer(
  options: StartMcpServerOptions,
): Promise<Result<RunningMcpServer, QiError>> {
  const { config, transport } = options;
  const logger =
    options.logger ??
    createConsoleLogger({ level: config.logging.level, format: config.logging.format }).child({
      mcp: config.name,
    });
  if (transport === "http") {
    const problem = checkHttpSecurity(options.host ?? "127.0.0.1", options.token);
    if (problem) return err(problem);
  }
  let pipeline: Pipeline | undefined;
  let endedBy: (reason: string) => void = () => {};
  const ended = new Promise<string>((resolve) => {
    endedBy = resolve;
  });
  if (options.run) {
    pipeline = Pipeline.fromResolved(config, { logger, ...(options.env ? { env: options.env } : {}) });
    const started = await pipeline.start();
    if (!started.ok) {
      await pipeline.destroy();
      return started;
    }
    logger.info("pipeline started", { sources: config.sources.length, targets: config.targets.length });
    void pipeline.done.then((summary) => {
      if (summary.error) endedBy(`the pipeline failed: ${summary.error.message}`);
    });
  }
  const access = new PipelineAccess(config, { ...(pipeline ? { pipeline } : {}), logger });
  const makeServer = () =>
    createQiCoreMcpServer(access, {
      allowWrites: options.allowWrites === true,
      registry: options.registry ?? defaultRegistry(),
      env: options.env ?? {},
    });

  let stopTransport: () => Promise<void>;
  let url: string | undefined;
  if (transport === "http") {
    const served = await serveHttp({
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.token !== undefined ? { token: options.token } : {}),
      createServer: makeServer,
      logger,
    });
    if (!served.ok) {
      await access.close();
      await pipeline?.destroy();
      return served;
    }
    url = served.value.url;
    stopTransport = () => served.value.close();
  } else {
    const stdin = options.stdin ?? process.stdin;
    const stdout = options.stdout ?? process.stdout;
    const server = makeServer();
    await server.connect(new StdioServerTransport(stdin, stdout));
    // The client closing its end of stdin is how stdio sessions end.
    stdin.once("end", () => endedBy("stdin closed"));
    stdin.once("close", () => endedBy("stdin closed"));
    stdout.once("error", (thrown: Error) => endedBy(`stdout failed: ${thrown.message}`));
    stopTransport = () => server.close();
  }

  let closing: Promise<void> | undefined;
  return ok({
    transport,
    ...(url !== undefined ? { url } : {}),
    ended,
    close() {
      closing ??= (async () => {
        await stopTransport().catch((thrown: Error) =>
          logger.warn("closing the transport failed", { error: thrown.message }),
        );
        await access.close();
        if (pipeline) {
          const summary = await pipeline.destroy();
          logger.info("pipeline stopped", { state: summary.state, recordsIn: summary.recordsIn });
        }
      })();
      return closing;
    },
  });
}
