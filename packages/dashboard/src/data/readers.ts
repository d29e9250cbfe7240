import {
  type Logger,
  type Pipeline,
  type PriceCandle,
  type QiError,
  qiError,
  type ResolvedTarget,
  type StoreReader,
} from "@qicore/core";

/** Candle widths the chart offers; the store's reader builds them from the prices it holds. */
export const CANDLE_WIDTHS = ["1m", "5m", "15m", "1h", "4h", "1d"] as const;
const WIDTH_MS: Record<string, number> = {
  "1m": 60_000,
  "5m": 300_000,
  "15m": 900_000,
  "1h": 3_600_000,
  "4h": 14_400_000,
  "1d": 86_400_000,
};
/** Buckets drawn at most per chart. */
const MAX_BUCKETS = 1_000;

/** A candle as the chart draws it: `isFinal` is false for the bucket that has not closed yet. */
export interface ChartCandle extends PriceCandle {
  isFinal: boolean;
}

export interface CandleAnswer {
  target: string;
  coinId: string;
  width: string;
  candles: ChartCandle[];
}

/**
 * Readers of the pipeline's readable targets (their adapter's `openReader` capability): the
 * running target's own when `qicore run --ui` runs it, else one opened from its config, which
 * never migrates or writes.
 */
export class Readers {
  private readonly opened = new Map<string, Promise<StoreReader>>();

  constructor(
    private readonly pipeline: Pipeline,
    private readonly logger: Logger,
  ) {}

  readable(): ResolvedTarget[] {
    return this.pipeline.config.targets.filter((spec) => typeof spec.definition.openReader === "function");
  }

  async candles(
    targetId: string | undefined,
    coinId: string,
    width: string,
    now = Date.now(),
  ): Promise<CandleAnswer | QiError> {
    const widthMs = WIDTH_MS[width];
    if (widthMs === undefined)
      return qiError("CONFIG_INVALID", `width must be one of ${CANDLE_WIDTHS.join(", ")}`);
    const spec = targetId ? this.readable().find((target) => target.id === targetId) : this.readable()[0];
    if (!spec)
      return qiError(
        "CAPABILITY_MISSING",
        `no readable target${targetId ? ` "${targetId}"` : ""} in this pipeline`,
      );
    let reader: StoreReader;
    try {
      reader = await this.reader(spec);
    } catch (thrown) {
      return qiError(
        "READ_FAILED",
        `target "${spec.id}": opening its reader failed: ${(thrown as Error).message}`,
      );
    }
    // The newest stored price sets the window, so a pipeline replaying past data charts too.
    const latest = await reader.getLatestPrices([coinId]);
    if (!latest.ok) return latest.error;
    const newest = Math.max(0, ...latest.value.map((price) => Date.parse(price.lastUpdated)));
    if (newest === 0) return { target: spec.id, coinId, width, candles: [] };
    const end = Math.floor(newest / widthMs) * widthMs + widthMs;
    const start = end - widthMs * MAX_BUCKETS;
    const candles = await reader.aggregateCandles(coinId, width, new Date(start), new Date(end), {
      limit: MAX_BUCKETS,
    });
    if (!candles.ok) return candles.error;
    return {
      target: spec.id,
      coinId,
      width,
      candles: candles.value.map((candle) => ({
        ...candle,
        isFinal: Date.parse(candle.timestamp) + widthMs <= now,
      })),
    };
  }

  async close(): Promise<void> {
    for (const [id, opened] of this.opened) {
      if (this.pipeline.target(id)) continue;
      await opened.then((reader) => reader.close()).catch(() => undefined);
    }
    this.opened.clear();
  }

  private reader(spec: ResolvedTarget): Promise<StoreReader> {
    const own = this.pipeline.target(spec.id)?.handlers.reader;
    if (own) return Promise.resolve(own);
    let opened = this.opened.get(spec.id);
    if (!opened) {
      const openReader = spec.definition.openReader as NonNullable<
        ResolvedTarget["definition"]["openReader"]
      >;
      opened = Promise.resolve(
        openReader.call(spec.definition, spec.config, {
          id: spec.id,
          pipelineName: this.pipeline.name,
          logger: this.logger.child({ adapter: spec.id }),
          baseDir: this.pipeline.config.baseDir,
          signal: new AbortController().signal,
          clientName: "qicore-dashboard",
        }),
      );
      opened.catch(() => this.opened.delete(spec.id));
      this.opened.set(spec.id, opened);
    }
    return opened;
  }
}
