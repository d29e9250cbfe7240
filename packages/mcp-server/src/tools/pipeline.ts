import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  type AdapterRegistry,
  type ConfigProblem,
  type HealthStatus,
  loadPipelineConfig,
  loadPipelineFile,
  type ResolvedPipeline,
  redactSecrets,
  seriesOf,
} from "@qicore/core";
import { z } from "zod";
import { adapterIdInput } from "../inputs";
import { LIMITS } from "../limits";
import type { PipelineAccess } from "../pipeline-access";
import { fetchPipelineStatus, type MetricsView } from "../remote-pipeline";
import { SealedRegistry } from "../sealed-registry";
import { failure, success } from "../tool-result";

const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

export interface PipelineToolsOptions {
  registry: AdapterRegistry;
  /** Values for `${VAR}` when the served file is validated again. */
  env: Record<string, string | undefined>;
}

const healthOutput = z.object({
  status: z.enum(["healthy", "degraded", "unhealthy"]),
  latencyMs: z.number().optional(),
  message: z.string().optional(),
});

const problemOutput = z.object({
  path: z.string(),
  message: z.string(),
  line: z.number().int().optional(),
  column: z.number().int().optional(),
});

/** list_adapters, validate_pipeline and pipeline_status. */
export function registerPipelineTools(
  server: McpServer,
  access: PipelineAccess,
  options: PipelineToolsOptions,
): void {
  const { registry } = options;
  let discovered: Promise<void> | undefined;

  server.registerTool(
    "list_adapters",
    {
      title: "Adapters",
      description:
        "The sources, processors and targets this server knows (built-ins, the adapter packages installed in the pipeline's project, and those the pipeline loads), and which of them the served pipeline uses.",
      inputSchema: {},
      outputSchema: {
        adapters: z.array(
          z.object({
            role: z.enum(["source", "target", "processor"]),
            name: z.string(),
            kinds: z.array(z.string()),
            description: z.string().optional(),
            usedBy: z
              .array(z.string())
              .describe("Ids of the pipeline's sources, targets or processors of this adapter."),
          }),
        ),
        pipeline: z.object({
          name: z.string(),
          sources: z.array(z.object({ id: z.string(), adapter: z.string(), kinds: z.array(z.string()) })),
          targets: z.array(z.object({ id: z.string(), adapter: z.string(), kinds: z.array(z.string()) })),
        }),
      },
      annotations: READ_ONLY,
    },
    async () => {
      // The adapter packages installed in the pipeline's project, imported once; one that
      // fails to import is left out of the list (the pipeline names only those it loaded).
      discovered ??= registry.loadInstalled({ baseDir: access.config.baseDir }).then(() => undefined);
      await discovered;
      const { config } = access;
      const users = (role: "source" | "target" | "processor", name: string) => [
        ...new Set(
          (role === "source"
            ? config.sources
            : role === "target"
              ? config.targets
              : [...config.sources, ...config.routes].flatMap((entry) => entry.processors ?? [])
          )
            .filter((spec) => spec.definition.name === name)
            .map((spec) => spec.id),
        ),
      ];
      return success({
        adapters: registry.list().map((adapter) => ({
          role: adapter.role,
          name: adapter.name,
          kinds: [...adapter.kinds],
          ...(adapter.description ? { description: adapter.description } : {}),
          usedBy: users(adapter.role, adapter.name),
        })),
        pipeline: {
          name: config.name,
          sources: config.sources.map((spec) => ({
            id: spec.id,
            adapter: spec.definition.name,
            kinds: [...spec.kinds],
          })),
          targets: config.targets.map((spec) => ({
            id: spec.id,
            adapter: spec.definition.name,
            kinds: [...spec.definition.capabilities.kinds],
          })),
        },
      });
    },
  );

  server.registerTool(
    "validate_pipeline",
    {
      title: "Validate a pipeline",
      description: `Check a pipeline config and list every problem with its path, line and column. Without \`text\`, checks the served pipeline file again as it is on disk now. With \`text\` (YAML or JSON, at most ${LIMITS.maxPipelineTextLength} characters), checks that text: only adapters installed with the server may be named, and \${VAR} references are not filled from the server's environment.`,
      inputSchema: {
        text: z
          .string()
          .min(1, { error: "text is empty" })
          .max(LIMITS.maxPipelineTextLength, {
            error: `text is longer than ${LIMITS.maxPipelineTextLength} characters`,
          })
          .optional()
          .describe("A pipeline config as YAML or JSON."),
      },
      outputSchema: {
        valid: z.boolean(),
        checked: z.string().describe("What was checked: the served file's path, or `text`."),
        pipeline: z
          .object({
            name: z.string(),
            sources: z.number().int(),
            targets: z.number().int(),
            routes: z.number().int(),
          })
          .optional(),
        problems: z.array(problemOutput),
      },
      annotations: READ_ONLY,
    },
    async ({ text }) => {
      const { config } = access;
      let checked: string;
      let loaded: Awaited<ReturnType<typeof loadPipelineFile>>;
      if (text !== undefined) {
        checked = "text";
        loaded = await loadPipelineConfig(text, {
          registry: new SealedRegistry(registry),
          env: {},
          baseDir: config.baseDir,
        });
      } else if (config.file) {
        checked = config.file;
        loaded = await loadPipelineFile(config.file, { registry, env: options.env });
      } else {
        checked = "the served config";
        loaded = await loadPipelineConfig(config.raw as Record<string, unknown>, {
          registry,
          env: options.env,
          baseDir: config.baseDir,
        });
      }
      if (loaded.ok) {
        const pipeline = loaded.value;
        return success({
          valid: true,
          checked,
          pipeline: {
            name: pipeline.name,
            sources: pipeline.sources.length,
            targets: pipeline.targets.length,
            routes: pipeline.routes.length,
          },
          problems: [],
        });
      }
      const problems = (loaded.error.context.problems as ConfigProblem[] | undefined) ?? [
        { path: "", message: loaded.error.message },
      ];
      return success({
        valid: false,
        checked,
        problems: problems.map((problem) => ({
          path: problem.path,
          message: redactSecrets(problem.message),
          ...(problem.line !== undefined ? { line: problem.line } : {}),
          ...(problem.column !== undefined ? { column: problem.column } : {}),
        })),
      });
    },
  );

  server.registerTool(
    "pipeline_status",
    {
      title: "Pipeline status",
      description:
        "Health of the served pipeline: whether its store answers, whether the data is fresh, and the age of the newest stored price of each coin; plus the pipeline's state, metrics (records in/out/failed, dead letters, batch latency) and lag (records queued, data age per coin) when this server runs it (--run) or when the pipeline file has a `metrics` section that the running `qicore run` serves.",
      inputSchema: { target: adapterIdInput("target").optional() },
      outputSchema: {
        pipeline: z.string(),
        file: z.string().nullable(),
        mode: z
          .enum(["serving", "running"])
          .describe(
            "running: this server also runs the pipeline; serving: it reads what the pipeline stored.",
          ),
        state: z
          .string()
          .describe("The pipeline's state (running, stopped, failed ...); `unknown` when no metrics say it."),
        metricsFrom: z
          .string()
          .nullable()
          .describe(
            "Where state and metrics come from: `this process`, the pipeline's metrics URL, or null.",
          ),
        live: z.boolean(),
        ready: z.boolean(),
        reasons: z.array(z.string()).describe("Why the pipeline is not ready."),
        adapters: z.record(z.string(), healthOutput),
        metrics: z
          .object({
            recordsIn: z.record(z.string(), z.number()),
            recordsOut: z.record(z.string(), z.number()),
            recordsFailed: z.record(z.string(), z.number()),
            deadLetters: z.number(),
            batches: z.record(
              z.string(),
              z.object({
                count: z.number(),
                sumSeconds: z.number(),
                p50Seconds: z.number().nullable(),
                p99Seconds: z.number().nullable().describe("Null when above the largest bucket (30 s)."),
              }),
            ),
          })
          .nullable(),
        lag: z.object({
          queueDepthRecords: z
            .number()
            .nullable()
            .describe("Records read but not yet written by every target."),
          maxDataAgeSeconds: z.number().nullable().describe("Age of the stalest coin's newest stored price."),
        }),
        coins: z.array(
          z.object({
            coinId: z.string(),
            exchangeId: z.string(),
            newestTime: z.string(),
            dataAgeSeconds: z.number().describe("Seconds since the newest stored price."),
            pipelineDataAgeSeconds: z
              .number()
              .nullable()
              .describe("Seconds since the newest record the pipeline delivered, by its metrics."),
          }),
        ),
        coinsTruncated: z.boolean(),
      },
      annotations: READ_ONLY,
    },
    async ({ target }) => {
      const now = Date.now();
      const { config, pipeline } = access;
      const reasons: string[] = [];
      const adapters: Record<string, z.infer<typeof healthOutput>> = {};
      const handle =
        access.readableTargets().length > 0 || target !== undefined ? await access.reader(target) : undefined;
      if (handle && !handle.ok) return failure(handle.error);

      let metrics: MetricsView | undefined;
      let metricsFrom: string | null = null;
      let state = "unknown";
      let live = true;
      if (pipeline) {
        const health = pipeline.health(now);
        reasons.push(...health.reasons);
        ({ state, live } = health);
        metrics = pipeline.metricsSnapshot();
        metricsFrom = "this process";
        for (const [id, status] of Object.entries(await pipeline.adapterHealth()))
          adapters[id] = brief(status);
      } else {
        if (handle?.ok) adapters[handle.value.targetId] = brief(await handle.value.reader.healthCheck());
        if (config.metrics) {
          const remote = await fetchPipelineStatus(config.metrics);
          if (remote.ok) {
            ({ state, live, metrics } = remote.value);
            metricsFrom = remote.value.url;
            reasons.push(...remote.value.reasons);
          } else reasons.push(remote.error.message);
        }
      }
      for (const [id, status] of Object.entries(adapters)) {
        if (status.status === "unhealthy")
          reasons.push(`"${id}" is unhealthy${status.message ? `: ${status.message}` : ""}`);
      }
      const coins: {
        coinId: string;
        exchangeId: string;
        newestTime: string;
        dataAgeSeconds: number;
        pipelineDataAgeSeconds: number | null;
      }[] = [];
      let coinsTruncated = false;
      if (handle?.ok && adapters[handle.value.targetId]?.status !== "unhealthy") {
        const latest = await handle.value.reader.getLatestPrices(undefined, { limit: LIMITS.maxStatusCoins });
        if (!latest.ok) reasons.push(`reading the newest prices failed: ${latest.error.message}`);
        else {
          coinsTruncated = latest.value.length >= LIMITS.maxStatusCoins;
          for (const price of latest.value) {
            coins.push({
              coinId: price.coinId ?? price.instrument ?? "",
              exchangeId: price.exchangeId,
              newestTime: price.lastUpdated,
              dataAgeSeconds: Math.max(0, (now - Date.parse(price.lastUpdated)) / 1000),
              pipelineDataAgeSeconds: metrics?.dataAgeSeconds[seriesOf(price) ?? ""] ?? null,
            });
          }
          // A running pipeline checks its freshness rule itself (its reasons are above).
          if (!pipeline && !metricsFrom) reasons.push(...staleness(config, coins, now));
        }
      }
      const ages = coins.map((coin) => coin.dataAgeSeconds);
      return success({
        pipeline: config.name,
        file: config.file ?? null,
        mode: pipeline ? "running" : "serving",
        state,
        metricsFrom,
        live,
        ready: reasons.length === 0,
        reasons: reasons.map(redactSecrets),
        adapters,
        metrics: metrics
          ? {
              recordsIn: metrics.recordsIn,
              recordsOut: metrics.recordsOut,
              recordsFailed: metrics.recordsFailed,
              deadLetters: metrics.deadLetters,
              batches: Object.fromEntries(
                Object.entries(metrics.batches).map(([id, batch]) => [
                  id,
                  { ...batch, p50Seconds: finite(batch.p50Seconds), p99Seconds: finite(batch.p99Seconds) },
                ]),
              ),
            }
          : null,
        lag: {
          queueDepthRecords: metrics ? metrics.queueDepth : null,
          maxDataAgeSeconds: ages.length > 0 ? Math.max(...ages) : null,
        },
        coins,
        coinsTruncated,
      });
    },
  );
}

const finite = (value: number) => (Number.isFinite(value) ? value : null);

function brief(status: HealthStatus): {
  status: HealthStatus["status"];
  latencyMs?: number;
  message?: string;
} {
  return {
    status: status.status,
    ...(status.latencyMs !== undefined ? { latencyMs: Math.round(status.latencyMs * 10) / 10 } : {}),
    ...(status.message ? { message: redactSecrets(status.message) } : {}),
  };
}

/** The pipeline's freshness rule (health.freshness) checked against what is stored. */
function staleness(
  config: ResolvedPipeline,
  coins: readonly { coinId: string; newestTime: string }[],
  now: number,
): string[] {
  const freshness = config.health.freshness;
  if (!freshness) return [];
  const newest = new Map<string, number>();
  for (const coin of coins) {
    const time = Date.parse(coin.newestTime);
    newest.set(coin.coinId, Math.max(newest.get(coin.coinId) ?? 0, time));
  }
  const reasons: string[] = [];
  for (const coin of freshness.coins ?? [...newest.keys()]) {
    const time = newest.get(coin);
    if (time === undefined) reasons.push(`no data stored for ${coin}`);
    else if (now - time > freshness.maxAgeMs) {
      reasons.push(
        `${coin} data is ${Math.round((now - time) / 1000)}s old (max ${freshness.maxAgeMs / 1000}s)`,
      );
    }
  }
  return reasons;
}
