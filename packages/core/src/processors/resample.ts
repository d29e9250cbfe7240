import { z } from "zod";
import { defineProcessor } from "../adapters/define";
import type { ProcessorOutput, RecordBatch } from "../adapters/processor-types";
import { ADAPTER_CONTRACT_VERSION } from "../adapters/types";
import type { MarketRecord } from "../dsl/kinds";
import type { CryptoOHLCV } from "../dsl/records";
import { bucketStart, candleWidth, widthMs } from "./buckets";
import { addDecimal, compareDecimal } from "./decimal-text";
import { identityOf, seriesKey } from "./series";

export const resampleConfigSchema = z.strictObject({
  widths: z
    .array(candleWidth)
    .min(1, "list at least one width, e.g. [5m, 1h, 1d]")
    .describe("Wider widths to build."),
  from: candleWidth
    .optional()
    .describe(
      "The input width to build from, e.g. 1m; by default the first width each series brings (others pass on untouched).",
    ),
  includeOpen: z
    .boolean()
    .default(false)
    .describe("Build from open input candles too (isFinal: false); final ones only by default."),
  keepInput: z.boolean().default(false).describe("Also hand on the input candles."),
});

type ResampleConfig = z.output<typeof resampleConfigSchema>;

interface WideBucket {
  start: number;
  timeframe: string;
  /** The input candles, by their open time (a revised one replaces the earlier). */
  parts: Map<number, CryptoOHLCV>;
  firstSequence: number;
  lastSequence: number;
  /**
   * Written already by an earlier run (the state restored says so): read again from a
   * checkpoint inside it, only its tail is here, so it is followed but never handed on.
   */
  muted: boolean;
}

/** A closed wide bucket while a replay may still reach it: `[series and width key, start]`. */
interface ClosedWide {
  key: string;
  start: number;
  firstSequence: number;
  lastSequence: number;
  muted: boolean;
}

/** What the resampler keeps with the source's checkpoints: the wide buckets written already. */
interface ResampleState {
  version: 1;
  written: [key: string, start: number][];
}

function isResampleState(state: unknown): state is ResampleState {
  const value = state as Partial<ResampleState> | undefined;
  return (
    value?.version === 1 &&
    Array.isArray(value.written) &&
    value.written.every(
      (entry) =>
        Array.isArray(entry) &&
        entry.length === 2 &&
        typeof entry[0] === "string" &&
        typeof entry[1] === "number",
    )
  );
}

/**
 * Wider candles from narrower ones (1m → 5m, 1h, 1d): first open, highest high, lowest low,
 * last close, summed volume and trade count. A wide bucket is final when its last input candle
 * is final, or when a candle of a later bucket arrives (a gap at its end stays a gap).
 */
function createResampler(config: ResampleConfig) {
  const widths = config.widths.map((timeframe) => ({ timeframe, width: widthMs(timeframe) }));
  const inputWidth = new Map<string, string>();
  const open = new Map<string, WideBucket>();
  /** Whether the pipeline keeps this processor's state with its checkpoints (`restore` was called). */
  let persisting = false;
  /** Wide buckets closed since the last saved checkpoint, while a replay may reach them. */
  let recent: ClosedWide[] = [];
  /** Restored: the starts of wide buckets an earlier run wrote, by series and width. */
  const written = new Map<string, Set<number>>();

  /** Ends a wide bucket: hands it on unless an earlier run wrote it; remembers it for `snapshot`. */
  const close = (key: string, bucket: WideBucket, out: CryptoOHLCV[]): boolean => {
    open.delete(key);
    if (persisting)
      recent.push({
        key,
        start: bucket.start,
        firstSequence: bucket.firstSequence,
        lastSequence: bucket.lastSequence,
        muted: bucket.muted,
      });
    if (bucket.muted) return false;
    out.push(merge(bucket, bucket.timeframe, true));
    return true;
  };

  /** A new wide bucket: muted when an earlier run wrote it; earlier written starts are past reach. */
  const opened = (key: string, start: number, timeframe: string, sequence: number): WideBucket => {
    const starts = written.get(key);
    let muted = false;
    if (starts) {
      muted = starts.delete(start);
      for (const earlier of starts) if (earlier < start) starts.delete(earlier);
      if (starts.size === 0) written.delete(key);
    }
    const bucket = {
      start,
      timeframe,
      parts: new Map(),
      firstSequence: sequence,
      lastSequence: sequence,
      muted,
    };
    open.set(key, bucket);
    return bucket;
  };

  const merge = (bucket: WideBucket, timeframe: string, isFinal: boolean): CryptoOHLCV => {
    const parts = [...bucket.parts.values()].sort(
      (a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp),
    );
    const first = parts[0] as CryptoOHLCV;
    const last = parts[parts.length - 1] as CryptoOHLCV;
    let high = first.high;
    let low = first.low;
    let volume: string | undefined;
    let tradeCount: number | undefined;
    for (const part of parts) {
      if (compareDecimal(part.high, high) > 0) high = part.high;
      if (compareDecimal(part.low, low) < 0) low = part.low;
      if (part.volume !== undefined && part.volume !== null)
        volume = volume === undefined ? part.volume : addDecimal(volume, part.volume);
      const count = (part as { tradeCount?: number }).tradeCount;
      if (count !== undefined) tradeCount = (tradeCount ?? 0) + count;
    }
    const {
      tradeCount: _count,
      filled: _filled,
      ...base
    } = first as CryptoOHLCV & { tradeCount?: number; filled?: boolean };
    return {
      ...base,
      timestamp: new Date(bucket.start).toISOString(),
      timeframe,
      open: first.open,
      high,
      low,
      close: last.close,
      ...(volume !== undefined ? { volume } : {}),
      isFinal,
      ...(tradeCount !== undefined ? { tradeCount } : {}),
    } as CryptoOHLCV;
  };

  return {
    process(batch: RecordBatch, sequence: number): ProcessorOutput {
      const out: CryptoOHLCV[] = [];
      const passed: MarketRecord[] = config.keepInput ? [...batch.records] : [];
      let oldest = Number.POSITIVE_INFINITY;
      for (const record of batch.records) {
        const candle = record as CryptoOHLCV;
        // A calendar month (`1mo`) has no fixed width to bucket: it passes on as it is.
        if (candle.timeframe.endsWith("mo")) {
          if (!config.keepInput) passed.push(record);
          continue;
        }
        const series = seriesKey(identityOf(record));
        const wanted = config.from ?? inputWidth.get(series) ?? candle.timeframe;
        inputWidth.set(series, wanted);
        if (candle.timeframe !== wanted) {
          if (!config.keepInput) passed.push(record);
          continue;
        }
        const time = Date.parse(candle.timestamp);
        const end = time + widthMs(candle.timeframe);
        for (const { timeframe, width } of widths) {
          const key = `${series}\u0000${timeframe}`;
          const start = bucketStart(time, width);
          let bucket = open.get(key);
          // The series' candles come in order: a candle of a later bucket ends the open one.
          if (bucket && bucket.start !== start) {
            if (close(key, bucket, out)) oldest = Math.min(oldest, bucket.firstSequence);
            bucket = undefined;
          }
          if (!candle.isFinal && !config.includeOpen) continue;
          bucket ??= opened(key, start, timeframe, sequence);
          bucket.parts.set(time, candle);
          bucket.lastSequence = sequence;
          if (end >= start + width && candle.isFinal && close(key, bucket, out))
            oldest = Math.min(oldest, bucket.firstSequence);
        }
      }
      const batches: RecordBatch[] = [];
      if (passed.length > 0) batches.push({ kind: "ohlcv", records: passed });
      if (out.length > 0)
        batches.push({
          kind: "ohlcv",
          records: out,
          ...(Number.isFinite(oldest) ? { sequence: oldest } : {}),
        });
      return { batches };
    },

    flush(): ProcessorOutput {
      const out: CryptoOHLCV[] = [];
      for (const [key, bucket] of [...open]) close(key, bucket, out);
      return { batches: out.length > 0 ? [{ kind: "ohlcv", records: out }] : [] };
    },

    retainedFrom(): number | undefined {
      let oldest: number | undefined;
      for (const bucket of open.values())
        if (oldest === undefined || bucket.firstSequence < oldest) oldest = bucket.firstSequence;
      return oldest;
    },

    /**
     * The wide buckets a restart must not build again from what it reads again: written
     * (handed on from batches up to `sequence`, or by an earlier run) and fed by a batch after
     * `since`, from which on a restart may read (see the candles processor's `snapshot`).
     */
    snapshot(sequence: number, since: number): ResampleState {
      recent = recent.filter((bucket) => bucket.lastSequence > since);
      const state: ResampleState = { version: 1, written: [] };
      for (const bucket of recent)
        if (bucket.muted || bucket.firstSequence <= sequence) state.written.push([bucket.key, bucket.start]);
      for (const [key, bucket] of open) if (bucket.muted) state.written.push([key, bucket.start]);
      for (const [key, starts] of written) for (const start of starts) state.written.push([key, start]);
      return state;
    },

    /** The state saved with the checkpoint this run resumes from (see `snapshot`). */
    restore(state: unknown): void {
      persisting = true;
      if (!isResampleState(state)) return;
      for (const [key, start] of state.written) {
        let starts = written.get(key);
        if (!starts) {
          starts = new Set();
          written.set(key, starts);
        }
        starts.add(start);
      }
    },
  };
}

export const resampleProcessor = defineProcessor({
  name: "resample",
  description: "Wider candles from narrower ones (1m → 5m, 1h, 1d), from final candles unless asked.",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema: resampleConfigSchema,
  capabilities: { kinds: ["ohlcv"], emits: ["ohlcv"] },
  create: (config) => createResampler(config),
});
