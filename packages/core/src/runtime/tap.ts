import type { RecordKind } from "../dsl/kinds";
import { seriesOf } from "./freshness";
import type { PipelineMetrics } from "./metrics";

/**
 * Taps: copies of the records passing a stage of a running pipeline, for `qicore tap` and
 * the dashboard. A tap never slows delivery down: the runtime hands it each batch
 * synchronously, the tap keeps at most a few records (a rate per second and a buffer
 * bound; the rest are counted as skipped, a sample), and its reader gets them on a later
 * turn of the event loop. Nothing is awaited and nothing thrown reaches the runtime.
 */

/** Where records are tapped: as a source's batch is taken (after validation), or once a target wrote it. */
export type TapStage = "source" | "target";

export interface TapFilter {
  stage: TapStage;
  /** The adapter id at that stage; every source (or target) when absent. */
  adapter?: string;
  /** Only these kinds; every kind when absent. */
  kinds?: readonly RecordKind[];
  /** Only these series (`bitcoin`, `binance:BTCUSDT`) or bare instruments (`BTCUSDT`). */
  instruments?: readonly string[];
}

export interface TappedRecord {
  stage: TapStage;
  adapter: string;
  kind: RecordKind;
  record: unknown;
}

export interface TapOptions {
  filter: TapFilter;
  /** Most records handed on per second; more are skipped. Default 100. */
  maxPerSecond?: number;
  /** Most records held for a reader that has not taken them yet; more are skipped. Default 1000. */
  maxBuffered?: number;
  /** Receives tapped records in batches, on a later turn of the event loop. */
  onRecords: (records: TappedRecord[]) => void;
}

export interface Tap {
  /** Records that matched the filter but were not handed on (sampling). */
  readonly skipped: number;
  /** Records handed on so far. */
  readonly delivered: number;
  /** While paused (a slow reader), matching records are skipped instead of held. */
  pause(): void;
  resume(): void;
  close(): void;
}

export const TAP_DEFAULTS = { maxPerSecond: 100, maxBuffered: 1000 } as const;

/** The taps of each pipeline, by its metrics (which every runner and worker already holds). */
const tapsByPipeline = new WeakMap<PipelineMetrics, Set<TapState>>();

/**
 * The runtime's hook: offers a batch to the pipeline's taps. With no tap open this is one
 * WeakMap lookup per batch.
 */
export function tapRecords(
  metrics: PipelineMetrics,
  stage: TapStage,
  adapter: string,
  kind: RecordKind,
  records: readonly unknown[],
): void {
  const taps = tapsByPipeline.get(metrics);
  if (taps === undefined) return;
  for (const tap of taps) {
    try {
      tap.offer(stage, adapter, kind, records);
    } catch {
      // A tap must never fail delivery.
    }
  }
}

/** Opens a tap on the pipeline whose metrics these are. */
export function openTap(metrics: PipelineMetrics, options: TapOptions): Tap {
  let taps = tapsByPipeline.get(metrics);
  if (!taps) {
    taps = new Set();
    tapsByPipeline.set(metrics, taps);
  }
  const state = new TapState(options, () => {
    taps.delete(state);
    if (taps.size === 0 && tapsByPipeline.get(metrics) === taps) tapsByPipeline.delete(metrics);
  });
  taps.add(state);
  return state;
}

/** Number of taps open on a pipeline (the endpoints bound it). */
export function openTaps(metrics: PipelineMetrics): number {
  return tapsByPipeline.get(metrics)?.size ?? 0;
}

class TapState implements Tap {
  skipped = 0;
  delivered = 0;
  private readonly rate: number;
  private readonly maxBuffered: number;
  private readonly instruments: ReadonlySet<string> | undefined;
  private tokens: number;
  private refilledAt = Date.now();
  private buffer: TappedRecord[] = [];
  private scheduled = false;
  private paused = false;
  private closed = false;

  constructor(
    private readonly options: TapOptions,
    private readonly detach: () => void,
  ) {
    this.rate = options.maxPerSecond ?? TAP_DEFAULTS.maxPerSecond;
    this.maxBuffered = options.maxBuffered ?? TAP_DEFAULTS.maxBuffered;
    this.tokens = this.rate;
    const { instruments } = options.filter;
    this.instruments = instruments && instruments.length > 0 ? new Set(instruments) : undefined;
  }

  offer(stage: TapStage, adapter: string, kind: RecordKind, records: readonly unknown[]): void {
    const { filter } = this.options;
    if (this.closed || stage !== filter.stage) return;
    if (filter.adapter !== undefined && filter.adapter !== adapter) return;
    if (filter.kinds !== undefined && filter.kinds.length > 0 && !filter.kinds.includes(kind)) return;
    this.refill();
    for (let index = 0; index < records.length; index++) {
      const record = records[index];
      if (this.instruments && !this.matches(record)) continue;
      if (this.paused || this.tokens < 1 || this.buffer.length >= this.maxBuffered) {
        // Without an instrument filter every remaining record matches: count them without looking.
        this.skipped += this.instruments ? 1 : records.length - index;
        if (this.instruments) continue;
        break;
      }
      this.tokens--;
      // `record` last: `qicore tap` cuts it out of the encoded event instead of parsing it.
      this.buffer.push({ stage, adapter, kind, record });
    }
    if (this.buffer.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.hand());
    }
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.buffer = [];
    this.detach();
  }

  private matches(record: unknown): boolean {
    const fields = record as { instrument?: unknown; exchangeId?: unknown };
    if (typeof fields.instrument === "string" && this.instruments?.has(fields.instrument)) return true;
    const series = seriesOf(fields);
    return series !== undefined && (this.instruments?.has(series) ?? false);
  }

  private refill(): void {
    const now = Date.now();
    if (now <= this.refilledAt) return;
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.refilledAt) / 1000) * this.rate);
    this.refilledAt = now;
  }

  private hand(): void {
    this.scheduled = false;
    if (this.closed || this.buffer.length === 0) return;
    const records = this.buffer;
    this.buffer = [];
    this.delivered += records.length;
    try {
      this.options.onRecords(records);
    } catch {
      // The reader's failure is the reader's: the pipeline goes on.
    }
  }
}
