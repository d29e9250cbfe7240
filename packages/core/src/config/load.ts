import { readFile } from "node:fs/promises";
import { dirname, extname, resolve as resolvePath } from "node:path";
import type { ProcessorDefinition, SourceDefinition, TargetDefinition } from "../adapters/types";
import { type AdapterRegistry, defaultRegistry } from "../registry/registry";
import { err, ok, type Result } from "../result/result";
import { type Environment, interpolate, pathKey } from "./interpolate";
import { type EntryView, type PipelineView, processorEntries, sourceKinds, viewOf } from "./pipeline-view";
import { configError, locateProblems } from "./problems";
import { recoverFromTypos } from "./recover";
import { resolveAdapters } from "./resolve-adapters";
import { expandRoutes } from "./routes";
import { checkRules } from "./rules";
import { type PipelineFile, pipelineFileSchema } from "./schema";
import { parseSourceText, type SourceDocument, type TextFormat } from "./source-document";
import type {
  ConfigError,
  LoadPipelineConfigOptions,
  LoadPipelineOptions,
  ResolvedPipeline,
  ResolvedProcessor,
} from "./types";
import { type PendingProblem, parseConfig } from "./zod-problems";

/**
 * Loads a pipeline file (YAML, or JSON by its `.json` extension): parses it,
 * interpolates `${VAR}`, checks it against the schema and the cross-field rules,
 * resolves every adapter (relative paths from the file's folder) and validates each
 * adapter's `config`. Every problem comes back at once, with line and column.
 *
 *     const loaded = await loadPipelineFile("pipeline.yaml");
 *     if (!loaded.ok) console.error(formatConfigProblems(loaded.error.context.problems));
 */
export async function loadPipelineFile(
  path: string,
  options: LoadPipelineOptions = {},
): Promise<Result<ResolvedPipeline, ConfigError>> {
  const file = resolvePath(path);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (thrown) {
    const code = (thrown as { code?: string }).code;
    const missing = code === "ENOENT" || code === "ENOTDIR";
    const message = missing
      ? `file not found (looked for ${file})`
      : code === "EISDIR"
        ? `is a folder; give the pipeline file inside it`
        : `cannot be read: ${(thrown as Error).message}`;
    return err(
      configError(
        [{ path: "", message, file: path }],
        path,
        missing || code === "EISDIR" ? "CONFIG_NOT_FOUND" : "CONFIG_INVALID",
        thrown,
      ),
    );
  }
  return loadText(text, { ...options, file: path, absoluteFile: file, baseDir: dirname(file) });
}

/**
 * Loads a pipeline from an object of the pipeline file's shape, or from YAML/JSON
 * text, with the same checks as loadPipelineFile. Relative paths resolve from
 * `baseDir` (default: the folder of `file`, else the working directory).
 */
export async function loadPipelineConfig(
  input: string | Record<string, unknown>,
  options: LoadPipelineConfigOptions = {},
): Promise<Result<ResolvedPipeline, ConfigError>> {
  const absoluteFile = options.file === undefined ? undefined : resolvePath(options.file);
  const baseDir = resolvePath(options.baseDir ?? (absoluteFile ? dirname(absoluteFile) : process.cwd()));
  if (typeof input === "string") return loadText(input, { ...options, absoluteFile, baseDir });
  return loadValue(input, undefined, { ...options, absoluteFile, baseDir });
}

interface LoadContext {
  registry?: AdapterRegistry;
  env?: Environment;
  /** The file as the caller named it, for messages. */
  file?: string | undefined;
  absoluteFile: string | undefined;
  baseDir: string;
}

function loadText(text: string, context: LoadContext): Promise<Result<ResolvedPipeline, ConfigError>> {
  const format: TextFormat =
    context.file && extname(context.file).toLowerCase() === ".json" ? "json" : "yaml";
  const parsed = parseSourceText(text, format);
  if (!parsed.ok) {
    const problems = parsed.problems.map(({ message, position }) => ({
      path: "",
      message,
      ...(context.file === undefined ? {} : { file: context.file }),
      line: position.line,
      column: position.column,
    }));
    return Promise.resolve(err(configError(problems, context.file)));
  }
  return loadValue(parsed.document.value, parsed.document, context);
}

async function loadValue(
  value: unknown,
  document: SourceDocument | undefined,
  context: LoadContext,
): Promise<Result<ResolvedPipeline, ConfigError>> {
  const fail = (pending: PendingProblem[]) =>
    err(configError(locateProblems(pending, document, context.file), context.file));
  if (value === null || value === undefined) {
    return fail([{ path: [], message: "the pipeline is empty; it needs name, sources and targets" }]);
  }
  const interpolated = interpolate(value, context.env ?? process.env);
  const problems: PendingProblem[] = [];

  const file = parseConfig(pipelineFileSchema, interpolated.value, [], interpolated.substituted);
  if (!file.ok) problems.push(...file.problems);
  const recovered = recoverFromTypos(interpolated.value, file.ok ? [] : file.problems);

  // Adapters, their configs and the cross-field rules are checked even when the schema
  // found problems, on what could be read, so one run lists every mistake.
  const view = viewOf(recovered.value);
  const later = await resolveAdapters(view, context.registry ?? defaultRegistry(), context.baseDir);
  const configs = new Map<EntryView, unknown>();
  for (const entry of [...view.sources, ...view.targets, ...processorEntries(view)]) {
    if (!entry.definition) continue;
    const parsed = parseConfig(
      entry.definition.configSchema,
      entry.config ?? {},
      recovered.toWritten([...entry.at, "config"]),
      interpolated.substituted,
    );
    if (parsed.ok) configs.set(entry, parsed.data);
    else later.push(...parsed.problems);
  }
  later.push(...checkRules(view));
  problems.push(...later.map((problem) => ({ ...problem, path: recovered.toWritten(problem.path) })));
  if (problems.length > 0 || interpolated.problems.length > 0 || !file.ok) {
    // A value whose variable is unset is reported once, as that, not again as a wrong value.
    const unset = new Set(interpolated.problems.map((problem) => pathKey(problem.path)));
    return fail([
      ...interpolated.problems,
      ...problems.filter((problem) => !unset.has(pathKey(problem.path))),
    ]);
  }
  return ok(build(file.data, view, configs, interpolated.value, context));
}

/** A chain's steps with their parsed configs; ids default to the type, numbered when repeated. */
function resolvedProcessors(
  entries: readonly EntryView[],
  configs: Map<EntryView, unknown>,
): ResolvedProcessor[] {
  return entries.map((entry, position) => {
    const type = entry.type as string;
    const repeated = entries.filter((other) => other.type === type).length > 1;
    return {
      id: entry.id ?? (repeated ? `${type}-${position + 1}` : type),
      type,
      definition: entry.definition as ProcessorDefinition,
      config: configs.get(entry),
    };
  });
}

function build(
  file: PipelineFile,
  view: PipelineView,
  configs: Map<EntryView, unknown>,
  raw: unknown,
  context: LoadContext,
): ResolvedPipeline {
  const { delivery, state, health, metrics, logging } = file;
  const deadLetter = delivery.deadLetter;
  return {
    name: file.name,
    ...(context.absoluteFile === undefined ? {} : { file: context.absoluteFile }),
    baseDir: context.baseDir,
    sources: view.sources.map((entry) => {
      const written = file.sources[entry.index];
      return {
        id: entry.id as string,
        type: entry.type as string,
        definition: entry.definition as SourceDefinition,
        config: configs.get(entry),
        ...(written?.schedule ? { schedule: { everyMs: written.schedule.every } } : {}),
        kinds: sourceKinds(entry) ?? [],
        ...(entry.processors ? { processors: resolvedProcessors(entry.processors, configs) } : {}),
      };
    }),
    targets: view.targets.map((entry) => ({
      id: entry.id as string,
      type: entry.type as string,
      definition: entry.definition as TargetDefinition,
      config: configs.get(entry),
    })),
    routes: expandRoutes(view).map(({ processors, ...route }) =>
      processors ? { ...route, processors: resolvedProcessors(processors, configs) } : route,
    ),
    delivery: {
      batch: {
        maxRecords: delivery.batch.maxRecords,
        maxWaitMs: delivery.batch.maxWait,
        sendWhenIdle: delivery.batch.sendWhenIdle,
      },
      retry: {
        ...(delivery.retry.maxAttempts !== undefined ? { maxAttempts: delivery.retry.maxAttempts } : {}),
        initialDelayMs: delivery.retry.initialDelay,
        maxDelayMs: delivery.retry.maxDelay,
        ...(delivery.retry.maxElapsed !== undefined ? { maxElapsedMs: delivery.retry.maxElapsed } : {}),
      },
      deadLetter:
        deadLetter.target !== undefined
          ? { target: deadLetter.target }
          : { path: resolvePath(context.baseDir, deadLetter.path as string) },
      maxInFlightRecords: delivery.maxInFlightRecords,
    },
    state:
      state.store === "target"
        ? { store: "target", target: state.target }
        : { store: state.store, path: resolvePath(context.baseDir, state.path) },
    health: health.freshness
      ? {
          freshness: {
            maxAgeMs: health.freshness.maxAge,
            ...(health.freshness.coins ? { coins: health.freshness.coins } : {}),
          },
        }
      : {},
    ...(metrics ? { metrics: { host: metrics.host, port: metrics.port } } : {}),
    logging: { level: logging.level, format: logging.format },
    raw,
  };
}
