import { dirname, resolve } from "node:path";
import { formatConfigProblems } from "../../config/index";
import type { ConfigProblem } from "../../config/types";
import { defaultRegistry } from "../../registry/registry";
import { type MetricsServer, serveMetrics } from "../../runtime/http-server";
import { createConsoleLogger, type LogLevel } from "../../runtime/logger";
import { Pipeline } from "../../runtime/pipeline";
import { loadDashboard } from "../dashboard-module";
import { EXIT } from "../exit-codes";
import type { CommandIO } from "../io";
import { formatSummary, showProgress } from "../progress";

export const runHelp = `Usage: qicore run <pipeline.yaml> [options]

Runs a pipeline until its bounded sources are exhausted (then exits 0) or until
SIGINT/SIGTERM, which stops reading, writes and acknowledges what was read, and exits 0.
The file defaults to ./pipeline.yaml. Under a supervisor (systemd, Docker, a CI job) run
node_modules/.bin/qicore directly: npx does not pass SIGINT/SIGTERM on.

Options:
  --metrics-port <n>     serve /metrics and /health/{live,ready} on 127.0.0.1:<n>
                         (default: the file's metrics section, else off)
  --metrics-host <host>  bind address for the metrics server (default 127.0.0.1)
  --log-level <level>    debug | info | warn | error | silent (default: the file's, else info)
  --log-format <format>  pretty | json
  --no-progress          no progress line, even on a terminal
  --summary-json         print the end-of-run summary as JSON on standard output
  --ui                   also serve the local web dashboard (needs @qicore/dashboard):
                         the pipeline as a graph with live counters, freshness, rate
                         budgets, dead letters, checkpoints, config and candle charts
  --ui-port <n>          dashboard port (default 4600; 0 picks a free one)
  --ui-host <host>       dashboard address (default 127.0.0.1); any other address needs
                         a token (at least 16 characters)
  --ui-token-file <path> read the dashboard token from this file (one line), so it is
                         not in the command line or environment that ps shows; else
                         the token is taken from QICORE_UI_TOKEN

Exit codes: 0 done (or drained after a signal), 1 the run failed, 2 invalid file or usage,
130 a second signal forced the exit.`;

export interface RunOptions {
  metricsPort?: number;
  metricsHost?: string;
  logLevel?: LogLevel;
  logFormat?: "pretty" | "json";
  progress: boolean;
  summaryJson: boolean;
  /** Serve the dashboard (@qicore/dashboard) beside the run. */
  ui?: { port?: number; host?: string; tokenFile?: string };
}

export async function runCommand(file: string, options: RunOptions, io: CommandIO): Promise<number> {
  const path = resolve(io.cwd, file);
  const loaded = await Pipeline.load(path, {
    registry: defaultRegistry(),
    env: io.env,
    ...loggerOption(options),
  });
  if (!loaded.ok) {
    const problems = loaded.error.context.problems as ConfigProblem[] | undefined;
    io.error(problems ? formatConfigProblems(problems) : loaded.error.message);
    if (options.summaryJson)
      io.out(JSON.stringify({ pipeline: file, state: "invalid", error: loaded.error.toJSON() }));
    return EXIT.INVALID;
  }
  const pipeline = loaded.value;
  const logger = pipeline.logger;
  const initialized = await pipeline.initialize();
  if (!initialized.ok) {
    logger.error("could not start the pipeline", {
      error: initialized.error.message,
      code: initialized.error.code,
    });
    const summary = await pipeline.destroy();
    // A supervisor reading --summary-json gets a summary whatever happened.
    if (options.summaryJson) io.out(JSON.stringify({ ...summary, error: initialized.error.toJSON() }));
    return EXIT.FAILED;
  }

  let server: MetricsServer | undefined;
  const metricsPort = options.metricsPort ?? pipeline.config.metrics?.port;
  if (metricsPort !== undefined) {
    server = await serveMetrics(pipeline, {
      port: metricsPort,
      host: options.metricsHost ?? pipeline.config.metrics?.host ?? "127.0.0.1",
    });
    logger.info("serving metrics and health", { url: server.url });
  }

  let dashboard: { url: string; close(): Promise<void> } | undefined;
  if (options.ui) {
    const loadedDashboard = await loadDashboard(io, [dirname(path), io.cwd]);
    const started =
      typeof loadedDashboard === "string"
        ? { ok: false as const, error: new Error(`--ui ${loadedDashboard}`) }
        : await loadedDashboard.startDashboard({
            pipeline,
            ...options.ui,
            // A token file given on the command line wins over the environment's token.
            ...(options.ui.tokenFile === undefined && io.env.QICORE_UI_TOKEN
              ? { token: io.env.QICORE_UI_TOKEN }
              : {}),
            logger,
          });
    if (!started.ok) {
      io.error(`qicore run: ${started.error.message}`);
      await pipeline.destroy();
      await server?.close();
      return EXIT.INVALID;
    }
    dashboard = started.value;
    logger.info(`dashboard on ${dashboard.url}`);
  }

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.error("second signal: exiting without draining", { signal });
      process.exit(EXIT.FORCED);
    }
    logger.info("stopping: draining in-flight batches", { signal });
    void pipeline.stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const stopProgress = options.progress ? showProgress(pipeline) : () => {};
  logger.info("pipeline started", {
    sources: pipeline.config.sources.map((source) => source.id),
    targets: pipeline.config.targets.map((target) => target.id),
  });
  const summary = await pipeline.run();
  stopProgress();
  await dashboard?.close();
  await pipeline.destroy();
  await server?.close();
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);

  if (options.summaryJson) {
    io.out(JSON.stringify({ ...summary, error: summary.error?.toJSON() }));
  } else io.error(formatSummary(summary));
  return summary.error ? EXIT.FAILED : EXIT.OK;
}

function loggerOption(options: RunOptions) {
  if (!options.logLevel && !options.logFormat) return {};
  return {
    logger: createConsoleLogger({ level: options.logLevel ?? "info", format: options.logFormat ?? "pretty" }),
  };
}
