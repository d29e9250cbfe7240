import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { resolveFrom } from "../registry/module-loader";
import type { LogLevel } from "../runtime/logger";
import { CORE_VERSION } from "../version";
import { adaptersCommand, adaptersHelp } from "./commands/adapters";
import { initCommand, initHelp } from "./commands/init";
import { runCommand, runHelp } from "./commands/run";
import { schemaCommand, schemaHelp } from "./commands/schema";
import { tapCommand } from "./commands/tap";
import { testCommand, testHelp } from "./commands/test";
import { topCommand } from "./commands/top";
import { validateCommand, validateHelp } from "./commands/validate";
import { loadDashboard } from "./dashboard-module";
import { EXIT } from "./exit-codes";
import { type CommandIO, processIO } from "./io";

export const mainHelp = `qicore ${CORE_VERSION}: declarative crypto market-data pipelines

Usage: qicore <command> [options]

Commands:
  run [file]        run a pipeline (YAML or JSON; default ./pipeline.yaml); --ui adds the dashboard
  top [url|file]    a terminal view of a running pipeline, refreshed every second
  tap [url|file]    print records passing a stage of a running pipeline as JSON lines
  ui <file>         the local web dashboard over the pipeline's stores (needs @qicore/dashboard)
  validate [file]   check a pipeline file and print every problem with line and column
  test [files]      run pipeline unit tests (*.test.yaml): input records in, expected records out
  adapters          list the installed sources, processors and targets
  schema <what>     print generated SQL DDL, JSON Schemas, topic configs or types
  init [file]       write a starter pipeline.yaml
  mcp <file>        serve the pipeline's data to AI agents (needs @qicore/mcp-server)

Run "qicore <command> --help" for a command's options.
Exit codes: 0 success, 1 run (or a pipeline test) failed, 2 invalid usage, pipeline or test file, 130 forced stop.`;

const DEFAULT_PIPELINE_FILE = "pipeline.yaml";

const HELP: Record<string, string> = {
  run: runHelp,
  validate: validateHelp,
  test: testHelp,
  adapters: adaptersHelp,
  schema: schemaHelp,
  init: initHelp,
};

/** Runs the CLI with the given arguments (without `node` and the script) and returns the exit code. */
export async function main(argv: readonly string[], io: CommandIO = processIO()): Promise<number> {
  // `qicore mcp` and `qicore ui` belong to their own packages, which parse their own options.
  if (argv[0] === "mcp") return mcpCommand(argv.slice(1), io);
  if (argv[0] === "ui") return uiCommand(argv.slice(1), io);
  // top and tap are clients of a running pipeline's metrics server, with options of their own.
  if (argv[0] === "top") return topCommand(argv.slice(1), io);
  if (argv[0] === "tap") return tapCommand(argv.slice(1), io);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (thrown) {
    io.error(`${(thrown as Error).message}\n\n${mainHelp}`);
    return EXIT.INVALID;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.version) {
    io.out(CORE_VERSION);
    return EXIT.OK;
  }
  if (!command || (values.help && !HELP[command])) {
    (command || values.help ? io.out : io.error)(mainHelp);
    return command || values.help ? EXIT.OK : EXIT.INVALID;
  }
  if (values.help) {
    io.out(HELP[command] as string);
    return EXIT.OK;
  }
  // Every command takes at most one positional argument (`adapters` none, `test` any number); a second one is a
  // mistake worth saying, not something to ignore.
  const extra = command === "test" ? [] : rest.slice(command === "adapters" ? 0 : 1);
  if (HELP[command] && extra.length > 0) {
    io.error(
      `qicore ${command}: unexpected argument${extra.length > 1 ? "s" : ""} ${extra.map((word) => `"${word}"`).join(" ")}\n\n${HELP[command] ?? mainHelp}`,
    );
    return EXIT.INVALID;
  }
  switch (command) {
    case "run": {
      const file = pipelineFileArgument(rest[0], io, runHelp);
      if (file === undefined) return EXIT.INVALID;
      return runCommand(
        file,
        {
          ...(values["metrics-port"] !== undefined ? { metricsPort: Number(values["metrics-port"]) } : {}),
          ...(values["metrics-host"] ? { metricsHost: values["metrics-host"] } : {}),
          ...(values["log-level"] ? { logLevel: values["log-level"] as LogLevel } : {}),
          ...(values["log-format"] ? { logFormat: values["log-format"] as "pretty" | "json" } : {}),
          progress: !values["no-progress"],
          summaryJson: values["summary-json"] === true,
          ...(values.ui ? { ui: uiOptions(values, io.cwd) } : {}),
        },
        io,
      );
    }
    case "validate": {
      const file = pipelineFileArgument(rest[0], io, validateHelp);
      if (file === undefined) return EXIT.INVALID;
      return validateCommand(file, { json: values.json === true }, io);
    }
    case "test":
      return testCommand(rest, { json: values.json === true }, io);
    case "adapters":
      return adaptersCommand({ load: values.load ?? [], json: values.json === true }, io);
    case "schema":
      return schemaCommand(
        rest[0],
        {
          ...(values.kind ? { kind: values.kind } : {}),
          ...(values.io ? { io: values.io } : {}),
          ...(values.edition ? { edition: values.edition } : {}),
          ...(values.schema ? { schema: values.schema } : {}),
          ...(values["chunk-interval"] ? { chunkInterval: values["chunk-interval"] } : {}),
          ...(values.format ? { format: values.format } : {}),
          load: values.load ?? [],
        },
        io,
      );
    case "init":
      return initCommand(rest[0] ?? DEFAULT_PIPELINE_FILE, { force: values.force === true }, io);
    default:
      io.error(`unknown command "${command}"\n\n${mainHelp}`);
      return EXIT.INVALID;
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
      json: { type: "boolean" },
      load: { type: "string", multiple: true },
      force: { type: "boolean" },
      kind: { type: "string" },
      io: { type: "string" },
      edition: { type: "string" },
      schema: { type: "string" },
      "chunk-interval": { type: "string" },
      format: { type: "string" },
      "metrics-port": { type: "string" },
      "metrics-host": { type: "string" },
      "log-level": { type: "string" },
      "log-format": { type: "string" },
      "no-progress": { type: "boolean" },
      "summary-json": { type: "boolean" },
      ui: { type: "boolean" },
      "ui-port": { type: "string" },
      "ui-host": { type: "string" },
      "ui-token-file": { type: "string" },
    },
  });
}

/** The pipeline file a command works on: the one given, else ./pipeline.yaml when it exists. */
function pipelineFileArgument(given: string | undefined, io: CommandIO, help: string): string | undefined {
  if (given) return given;
  if (existsSync(resolve(io.cwd, DEFAULT_PIPELINE_FILE))) return DEFAULT_PIPELINE_FILE;
  io.error(
    `no pipeline file given, and there is no ${DEFAULT_PIPELINE_FILE} in ${io.cwd} (write one with: qicore init)\n\n${help}`,
  );
  return undefined;
}

function uiOptions(
  values: { "ui-port"?: string; "ui-host"?: string; "ui-token-file"?: string },
  cwd: string,
): { port?: number; host?: string; tokenFile?: string } {
  return {
    ...(values["ui-port"] !== undefined ? { port: Number(values["ui-port"]) } : {}),
    ...(values["ui-host"] !== undefined ? { host: values["ui-host"] } : {}),
    ...(values["ui-token-file"] !== undefined ? { tokenFile: resolve(cwd, values["ui-token-file"]) } : {}),
  };
}

/** `qicore ui`: the dashboard package's CLI, found in the user's project like an adapter. */
async function uiCommand(args: readonly string[], io: CommandIO): Promise<number> {
  const dashboard = await loadDashboard(io);
  if (typeof dashboard === "string") {
    io.error(`qicore ui ${dashboard}`);
    return EXIT.INVALID;
  }
  return dashboard.runDashboardCli(args, io);
}

async function mcpCommand(args: readonly string[], io: CommandIO): Promise<number> {
  const specifier = "@qicore/mcp-server";
  try {
    const module = (await import(resolveFrom(specifier, [io.cwd]))) as {
      runMcpCli?: (args: readonly string[], io: CommandIO) => Promise<number>;
    };
    if (typeof module.runMcpCli !== "function") throw new Error(`${specifier} has no runMcpCli export`);
    return module.runMcpCli(args, io);
  } catch (thrown) {
    io.error(`qicore mcp needs ${specifier}: pnpm add ${specifier} (${(thrown as Error).message})`);
    return EXIT.INVALID;
  }
}
