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
  type StoreReader,
  Target,
} from "@qicore/core";

/** The reader of one target of the pipeline. */
export interface ReaderHandle {
  targetId: string;
  reader: StoreReader;
}

export interface PipelineAccessOptions {
  /** A pipeline this process runs (`--run`): its connected adapters are used. */
  pipeline?: Pipeline;
  logger: Logger;
}

/** How the server's connections show where the store can tell (pg_stat_activity). */
const CLIENT_NAME = "qicore-mcp-server";

/**
 * The pipeline's adapters as the tools reach them. When this process runs the
 * pipeline, its connected sources and targets; otherwise each adapter is created and
 * connected on first use, so a server that only reads opens nothing it does not need
 * (no consumer group is joined, no table is created), and a target's store is read
 * through its reader capability (`openReader`), opened from its config without migrations.
 */
export class PipelineAccess {
  private readonly sources = new Map<string, Promise<Result<Source, QiError>>>();
  private readonly targets = new Map<string, Promise<Result<Target, QiError>>>();
  private readonly connectedTargets = new Map<string, Target>();
  private readonly readers = new Map<string, Promise<Result<StoreReader, QiError>>>();
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

  /** The pipeline's targets that can be read back (their adapter has the reader capability). */
  readableTargets(): ResolvedTarget[] {
    return this.config.targets.filter((spec) => typeof spec.definition.openReader === "function");
  }

  /**
   * The reader of a readable target (the first one when no id is given): the target's own
   * when it is connected in this process, else one opened from its config.
   */
  async reader(targetId?: string): Promise<Result<ReaderHandle, QiError>> {
    const candidates = this.readableTargets();
    const spec =
      targetId === undefined ? candidates[0] : candidates.find((candidate) => candidate.id === targetId);
    if (!spec?.definition.openReader) {
      const available = candidates.map((candidate) => `"${candidate.id}"`).join(", ");
      const named = this.config.targets.find((candidate) => candidate.id === targetId);
      const message =
        targetId === undefined
          ? `pipeline "${this.config.name}" has no target that can be read back; the query tools read what a target with a reader (such as timescale) stored`
          : `"${targetId}" is not a readable target of pipeline "${this.config.name}"${named ? ` (${named.definition.name} has no reader)` : ""}; ${available ? `readable targets: ${available}` : "it has none"}`;
      return err(qiError("CAPABILITY_MISSING", message, { context: { target: targetId } }));
    }
    const connected = this.options.pipeline?.target(spec.id) ?? this.connectedTargets.get(spec.id);
    const own = connected?.handlers.reader;
    if (own) return ok({ targetId: spec.id, reader: own });
    let opened = this.readers.get(spec.id);
    if (!opened) {
      opened = this.openReader(spec, spec.definition.openReader);
      this.readers.set(spec.id, opened);
    }
    const reader = await opened;
    if (!reader.ok) {
      this.readers.delete(spec.id);
      return reader;
    }
    return ok({ targetId: spec.id, reader: reader.value });
  }

  private async openReader(
    spec: ResolvedTarget,
    openReader: NonNullable<ResolvedTarget["definition"]["openReader"]>,
  ): Promise<Result<StoreReader, QiError>> {
    try {
      return ok(
        await openReader.call(spec.definition, spec.config, {
          ...this.contextFor(spec.id),
          clientName: CLIENT_NAME,
        }),
      );
    } catch (thrown) {
      return err(
        qiError(
          "READ_FAILED",
          `target "${spec.id}" (${spec.definition.name}): opening its reader failed: ${thrown instanceof Error ? thrown.message : String(thrown)}`,
          {
            context: { target: spec.id },
            cause: thrown,
          },
        ),
      );
    }
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
    for (const opened of this.readers.values()) {
      const reader = await opened;
      if (reader.ok) await reader.value.close();
    }
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
