import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { createConsoleLogger, formatConfigProblems, Pipeline } from "@qicore/core";
import { startDashboard } from "./server";

export const uiHelp = `Usage: qicore ui <pipeline.yaml> [options]

The local web dashboard over a pipeline's stores, without running its sources: the graph,
the dead letters, the checkpoints, the config (secrets masked) with validate's output, and
candle charts from the targets' readers. To see live counters too, run qicore run --ui.

Options:
  --port <n>            default 4600; 0 picks a free port
  --host <host>         default 127.0.0.1; any other address needs a token
  --token-file <path>   read the token (at least 16 characters, one line) from this file:
                        unlike --token, it is not shown to other users by ps
  --token <t>           the token itself (or QICORE_UI_TOKEN); open the printed URL once
                        with ?token=<token>`;

/** Where the command writes, and its environment (the core CLI's CommandIO). */
export interface DashboardCommandIO {
  out(text: string): void;
  error(text: string): void;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** `qicore ui`: serves the dashboard until SIGINT/SIGTERM. */
export async function runDashboardCli(args: readonly string[], io: DashboardCommandIO): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (thrown) {
    io.error(`qicore ui: ${(thrown as Error).message}\n\n${uiHelp}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(uiHelp);
    return 0;
  }
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    io.error(uiHelp);
    return 2;
  }
  const loaded = await Pipeline.load(resolve(io.cwd, file), { env: io.env });
  if (!loaded.ok) {
    const problems = loaded.error.context.problems as Parameters<typeof formatConfigProblems>[0] | undefined;
    io.error(problems ? formatConfigProblems(problems) : loaded.error.message);
    return 2;
  }
  const pipeline = loaded.value;
  const logger = createConsoleLogger({ level: "info" }).child({ pipeline: pipeline.name });
  const tokenFile = values["token-file"];
  const token = values.token ?? (tokenFile === undefined ? io.env.QICORE_UI_TOKEN : undefined);
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) {
    io.error("qicore ui: --port must be 0..65535");
    return 2;
  }
  const started = await startDashboard({
    pipeline,
    logger,
    mode: "stores",
    env: io.env,
    ...(values.host ? { host: values.host } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(tokenFile !== undefined ? { tokenFile: resolve(io.cwd, tokenFile) } : {}),
  });
  if (!started.ok) {
    io.error(`qicore ui: ${started.error.message}`);
    return 2;
  }
  io.out(
    `dashboard of "${pipeline.name}" on ${started.value.url}${token !== undefined || tokenFile !== undefined ? " (open it with ?token=<token> once)" : ""}`,
  );
  await new Promise<void>((done) => {
    process.once("SIGINT", () => done());
    process.once("SIGTERM", () => done());
  });
  await started.value.close();
  return 0;
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      token: { type: "string" },
      "token-file": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}
