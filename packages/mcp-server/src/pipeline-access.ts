import {
  type AdapterContext,
  err,
  type Logger,
  ok,
  type Pipeline,
  type QiError,
  qiError,
  type ResolvedPipeline,
  type ResolvedSource,
  type ResolvedTarget,
  type Result,
  Source,
  Target,
} from "@qicore/core";
import { createTimescaleReader, type TimescaleReader } from "@qicore/target-timescale";

/** The TimescaleDB reader of one target of the pipeline. */
export interface ReaderHandle {
  targetId: string;
  reader: TimescaleReader;
}

export interface PipelineAccessOptions {
  /** A pipeline this process runs (`--run`): its connected adapters are used. */
  pipeline?: Pipeline;
  logger: Logger;
}

const TIMESCALE = "timescale";
/** How the server's database connections show in pg_stat_activity. */
const APPLICATION_NAME = "qicore-mcp-server";

/**
 * The pipeline's adapters as the tools reach them. When this process runs the
 * pipeline, its connected sources and targets; otherwise each adapter is created and
 * connected on first use, so a server that only reads opens nothing it does not need
 * (no consumer group is joined, no table is created), and the TimescaleDB reader is
 * opened from the target's config without migrations.
 */
export class PipelineAccess {
  private readonly sources = new Map<string, Promise<Result<Source, QiError>>>();
  private readonly targets = new Map<string, Promise<Result<Target, QiError>>>();
  private readonly connectedTargets = new Map<string, Target>();
  private readonly readers = new Map<string, TimescaleReader>();
  private readonly abort = new AbortController();

  constructor(
    readonly config: ResolvedPipeline,
    private readonly options: PipelineAccessOptions,
  ) {}

  /** The pipeline this process runs, if any. */
  get pipeline(): Pipeline | undefined {
    return this.options.pipeline;
  }

  /** A source by id, created but not connected (to look at its handlers). */
  async createdSource(id: string): Promise<Result<Source, QiError>> {
    const running = this.options.pipeline?.source(id);
    if (running) return ok(running);
    const spec = this.config.sources.find((candidate) => candidate.id === id);
    if (!spec) return err(unknownAdapter("source", id, this.config.sources));
    let created = this.sources.get(id);
    if (!created) {
      created = Source.create(spec.definition, spec.config, this.contextFor(id), {
        retry: this.config.delivery.retry,
      });
      this.sources.set(id, created);
    }
    const result = await created;
    if (!result.ok) this.sources.delete(id);
    return result;
  }

  /** A source by id, connected. */
  async source(id: string): Promise<Result<Source, QiError>> {
    const created = await this.createdSource(id);
    if (!created.ok) return created;
    const connected = await created.value.connect();
    return connected.ok ? created : connected;
  }

  /** A target by id, connected (a TimescaleDB target runs its migrations then). */
  async target(id: string): Promise<Result<Target, QiError>> {
    const running = this.options.pipeline?.target(id);
    if (running) return ok(running);
    const spec = this.config.targets.find((candidate) => candidate.id === id);
    if (!spec) return err(unknownAdapter("target", id, this.config.targets));
    let created = this.targets.get(id);
    if (!created) {
      created = Target.create(spec.definition, spec.config, this.contextFor(id), {
        retry: this.config.delivery.retry,
      });
      this.targets.set(id, created);
    }
    const result = await created;
    if (!result.ok) {
      this.targets.delete(id);
      return result;
    }
    const connected = await result.value.connect();
    if (!connected.ok) return connected;
    this.connectedTargets.set(id, result.value);
    return result;
  }

  /** The pipeline's TimescaleDB targets. */
  timescaleTargets(): ResolvedTarget[] {
    return this.config.targets.filter((spec) => spec.definition.name === TIMESCALE);
  }

  /**
   * The reader of a TimescaleDB target (the first one when no id is given): the
   * target's own when it is connected in this process, else one opened from its config.
   */
  reader(targetId?: string): Result<ReaderHandle, QiError> {
    const candidates = this.timescaleTargets();
    const spec =
      targetId === undefined ? candidates[0] : candidates.find((candidate) => candidate.id === targetId);
    if (!spec) {
      const available = candidates.map((candidate) => `"${candidate.id}"`).join(", ");
      const message =
        targetId === undefined
          ? `pipeline "${this.config.name}" has no timescale target to read from; the query tools read what a timescale target stored`
          : `"${targetId}" is not a timescale target of pipeline "${this.config.name}"; ${available ? `timescale targets: ${available}` : "it has none"}`;
      return err(qiError("CAPABILITY_MISSING", message, { context: { target: targetId } }));
    }
    const connected = this.options.pipeline?.target(spec.id) ?? this.connectedTargets.get(spec.id);
    const own = connected ? readerOf(connected) : undefined;
    if (own) return ok({ targetId: spec.id, reader: own });
    let reader = this.readers.get(spec.id);
    if (!reader) {
      reader = createTimescaleReader({
        ...(spec.config as Record<string, unknown>),
        applicationName: APPLICATION_NAME,
        baseDir: this.config.baseDir,
        logger: this.options.logger.child({ adapter: spec.id }),
      });
      this.readers.set(spec.id, reader);
    }
    return ok({ targetId: spec.id, reader });
  }

  /** Disconnects what this object connected (a running pipeline is stopped by its owner). */
  async close(): Promise<void> {
    this.abort.abort();
    for (const created of this.sources.values()) {
      const result = await created;
      if (result.ok && !this.options.pipeline?.source(result.value.id)) await result.value.disconnect();
    }
    for (const target of this.connectedTargets.values()) {
      if (!this.options.pipeline?.target(target.id)) await target.disconnect();
    }
    for (const reader of this.readers.values()) await reader.close();
    this.sources.clear();
    this.targets.clear();
    this.connectedTargets.clear();
    this.readers.clear();
  }

  private contextFor(id: string): AdapterContext {
    return {
      id,
      pipelineName: this.config.name,
      logger: this.options.logger.child({ adapter: id }),
      baseDir: this.config.baseDir,
      signal: this.abort.signal,
    };
  }
}

function readerOf(target: Target): TimescaleReader | undefined {
  const reader = (target.handlers as { reader?: unknown }).reader;
  return reader && typeof (reader as TimescaleReader).aggregateCandles === "function"
    ? (reader as TimescaleReader)
    : undefined;
}

function unknownAdapter(
  role: "source" | "target",
  id: string,
  specs: readonly (ResolvedSource | ResolvedTarget)[],
): QiError {
  const ids = specs.map((spec) => `"${spec.id}" (${spec.definition.name})`).join(", ");
  return qiError("ADAPTER_NOT_FOUND", `the pipeline has no ${role} "${id}"; its ${role}s: ${ids || "none"}`, {
    context: { role, id },
  });
}
