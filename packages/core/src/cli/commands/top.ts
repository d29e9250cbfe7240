import { parseArgs } from "node:util";
import type { PipelineStatus } from "../../runtime/status";
import { parseDuration } from "../../util/duration";
import { EXIT } from "../exit-codes";
import type { CommandIO } from "../io";
import { pipelineEndpoint } from "../watch/pipeline-endpoint";
import { renderTop } from "../watch/top-screen";

export const topHelp = `Usage: qicore top [<url> | <pipeline.yaml>] [options]

A terminal view of a running pipeline, refreshed every second: per source and target
records/s, totals, failures, retries and batch latency; dead letters and records in flight;
rate budgets and consumer lag from the adapters' health checks; the freshness of every
series, stale ones marked. Reads GET /status of the metrics server \`qicore run\` serves:
give its URL (http://127.0.0.1:9464), or the pipeline file whose metrics section names it
(default ./pipeline.yaml).

Options:
  --interval <duration>    time between refreshes (default 1s)
  --iterations <n>         stop after n screens (default: until Ctrl-C)
  --stale-after <duration> age that counts as stale when the pipeline sets no
                           health.freshness.maxAge (default 60s)

Exit codes: 0 stopped, 1 the pipeline never answered, 2 invalid usage.`;

const FETCH_TIMEOUT_MS = 2_000;

/** Where `qicore top` draws: the process's standard output by default. */
export interface TopScreen {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
  write(text: string): unknown;
}

export async function topCommand(
  args: readonly string[],
  io: CommandIO,
  screen: TopScreen = process.stdout,
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (thrown) {
    io.error(`${(thrown as Error).message}\n\n${topHelp}`);
    return EXIT.INVALID;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(topHelp);
    return EXIT.OK;
  }
  if (positionals.length > 1) {
    io.error(`qicore top: unexpected argument "${positionals[1]}"\n\n${topHelp}`);
    return EXIT.INVALID;
  }
  const intervalMs = parseDuration(values.interval ?? "1s");
  const staleAfterMs = parseDuration(values["stale-after"] ?? "60s");
  const iterations = values.iterations === undefined ? undefined : Number(values.iterations);
  if (intervalMs === undefined || intervalMs < 100) {
    io.error("qicore top: --interval must be a duration of at least 100ms, such as 1s");
    return EXIT.INVALID;
  }
  if (staleAfterMs === undefined) {
    io.error("qicore top: --stale-after must be a duration such as 60s or 5m");
    return EXIT.INVALID;
  }
  if (iterations !== undefined && (!Number.isInteger(iterations) || iterations < 1)) {
    io.error("qicore top: --iterations must be a whole number of at least 1");
    return EXIT.INVALID;
  }
  const endpoint = await pipelineEndpoint(positionals[0], io);
  if (typeof endpoint === "string") {
    io.error(`qicore top: ${endpoint}`);
    return EXIT.INVALID;
  }
  const url = endpoint.href.replace(/\/$/, "");
  const terminal = screen.isTTY === true;
  const color = terminal && !io.env.NO_COLOR;
  let stopped = false;
  let wake: () => void = () => {};
  const onSignal = () => {
    stopped = true;
    wake();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  // Full-screen redraws on a terminal (cursor hidden meanwhile); plain screens one after another elsewhere.
  if (terminal) screen.write("\x1b[?25l");
  let previous: PipelineStatus | undefined;
  let answered = false;
  try {
    for (let drawn = 0; !stopped && (iterations === undefined || drawn < iterations); drawn++) {
      const fetched = await fetchStatus(url);
      let text: string;
      if (typeof fetched === "string") {
        text = `qicore top · ${url}\n\n${fetched}; trying again every ${intervalMs / 1000} s (Ctrl-C to stop)`;
      } else {
        answered = true;
        text = renderTop(fetched, previous, {
          url,
          color,
          width: screen.columns ?? 120,
          staleAfterSeconds: staleAfterMs / 1000,
          maxSeries: Math.max(5, (screen.rows ?? 40) - 24),
        });
        previous = fetched;
      }
      screen.write(terminal ? `\x1b[H\x1b[2J${text}\n` : `${drawn > 0 ? "\n" : ""}${text}\n`);
      if (iterations !== undefined && drawn + 1 >= iterations) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, intervalMs);
      });
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    if (terminal) screen.write("\x1b[?25h");
  }
  return answered ? EXIT.OK : EXIT.FAILED;
}

async function fetchStatus(url: string): Promise<PipelineStatus | string> {
  try {
    const response = await fetch(`${url}/status`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!response.ok) return `${url}/status answered ${response.status}: ${(await response.text()).trim()}`;
    return (await response.json()) as PipelineStatus;
  } catch (thrown) {
    const reason =
      (thrown as Error).name === "TimeoutError"
        ? `no answer within ${FETCH_TIMEOUT_MS} ms`
        : ((thrown as Error & { cause?: Error }).cause?.message ?? (thrown as Error).message);
    return `cannot reach ${url}/status (${reason}): is \`qicore run\` running with a metrics port?`;
  }
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: "boolean", short: "h" },
      interval: { type: "string" },
      iterations: { type: "string" },
      "stale-after": { type: "string" },
    },
  });
}
