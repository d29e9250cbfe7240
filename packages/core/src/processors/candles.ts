import { z } from "zod";
import { defineProcessor } from "../adapters/define";
import type { ProcessorOutput, ProcessorRejection, RecordBatch } from "../adapters/processor-types";
import { ADAPTER_CONTRACT_VERSION } from "../adapters/types";
import { durationSchema } from "../config/schema";
import type { MarketRecord } from "../dsl/kinds";
import type { CryptoOHLCV } from "../dsl/records";
import { qiError } from "../errors/qi-error";
import { bucketStart, candleWidth, widthMs } from "./buckets";
import { addDecimal, compareDecimal } from "./decimal-text";
import { identityOf, type SeriesIdentity, seriesKey } from "./series";

export const candlesConfigSchema = z.strictObject({
  widths: z
    .array(candleWidth)
    .min(1, "list at least one width, e.g. [1m, 5m, 1h]")
    .describe("Candle widths to build, e.g. [1m, 5m, 1h]."),
  allowedLateness: durationSchema
    .prefault("2s")
    .describe("How long after a bucket ends a record may still arrive for it (event time)."),
  late: z
    .enum(["dead-letter", "revise"])
    .default("dead-letter")
    .describe(
      "A record for a bucket already final: to the dead-letter destination, or re-emitted as a revised final candle.",
    ),
  reviseFor: durationSchema
    .optional()
    .describe("With late: revise, how long a final bucket can still be revised; one width by default."),
  emitOpen: z
    .boolean()
    .default(false)
    .describe("Also hand on the open candle (isFinal: false) as it changes."),
  forwardFill: z
    .boolean()
    .default(false)
    .describe("Hand on a flat candle (filled: true) for a bucket without records, from the last close."),
  closeAfterIdle: durationSchema
    .optional()
    .describe(
      "Close buckets by the wall clock too when a series has had no record for this long (a quiet market); by event time only when absent.",
    ),
});

export type CandlesConfig = z.output<typeof candlesConfigSchema>;

interface Bucket {
  start: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string | undefined;
  tradeCount: number;
  /** The oldest input batch that fed it (held until its final candle is written). */
  firstSequence: number;
  source: string;
  attribution: string;
}

interface SeriesWidth {
  width: number;
  timeframe: string;
  /** Buckets still open, by start. */
  open: Map<number, Bucket>;
  /** Final buckets that may still be revised (late: revise), by start. */
  closed: Map<number, Bucket>;
  /** Buckets that start before this are final. */
  finalBefore: number;
  /** The last final close, for forward fill. */
  lastClose: string | undefined;
}

interface Series {
  identity: SeriesIdentity;
  /** Provenance of its latest record, for filled candles. */
  source: string;
  attribution: string;
  /** Newest event time seen. */
  newest: number;
  /** Wall-clock time of the last record. */
  lastArrival: number;
  widths: SeriesWidth[];
}

/**
 * Builds OHLCV candles from trades (price and amount) or prices (CoinGecko's, no volume):
 * per instrument and width, the bucket's open time as `timestamp`, first/high/low/last price,
 * volume and trade count. A bucket is final once its series' newest record is past the bucket's
 * end plus `allowedLateness` (event time, per series, so how a stream's partitions interleave
 * does not change the result); the open candle is handed on as it changes only with `emitOpen`.
 * Empty buckets are not invented unless `forwardFill` asks for flat ones, marked `filled`.
 */
export function createCandleBuilder(config: CandlesConfig, now: () => number = Date.now) {
  const series = new Map<string, Series>();
  const lateness = config.allowedLateness;
  const widths = config.widths.map((timeframe) => ({ timeframe, width: widthMs(timeframe) }));

  const seriesOf = (record: MarketRecord): Series => {
    const identity = identityOf(record);
    const key = seriesKey(identity);
    let found = series.get(key);
    if (!found) {
      found = {
        identity,
        source: String((record as unknown as { source?: unknown }).source),
        attribution: String((record as unknown as { attribution?: unknown }).attribution),
        newest: Number.NEGATIVE_INFINITY,
        lastArrival: now(),
        widths: widths.map(({ timeframe, width }) => ({
          width,
          timeframe,
          open: new Map(),
          closed: new Map(),
          finalBefore: Number.NEGATIVE_INFINITY,
          lastClose: undefined,
        })),
      };
      series.set(key, found);
    }
    return found;
  };

  const candleOf = (
    identity: SeriesIdentity,
    state: SeriesWidth,
    bucket: Bucket,
    isFinal: boolean,
    filled = false,
  ) =>
    ({
      ...(identity.coinId ? { coinId: identity.coinId } : {}),
      exchangeId: identity.exchangeId,
      instrument: identity.instrument,
      ...(identity.base ? { base: identity.base } : {}),
      quote: identity.quote,
      assetClass: identity.assetClass ?? "crypto",
      timestamp: new Date(bucket.start).toISOString(),
      timeframe: state.timeframe,
      open: bucket.open,
      high: bucket.high,
      low: bucket.low,
      close: bucket.close,
      ...(bucket.volume !== undefined ? { volume: bucket.volume } : {}),
      isFinal,
      source: bucket.source,
      attribution: bucket.attribution,
      ...(bucket.volume !== undefined || bucket.tradeCount > 0 ? { tradeCount: bucket.tradeCount } : {}),
      ...(filled ? { filled: true } : {}),
    }) as unknown as CryptoOHLCV;

  /**
   * Closes the buckets of a series-width that end at or before `watermark`, oldest first, with
   * flat candles for the empty buckets between them (and up to the watermark) when forward-filling.
   */
  const closeUpTo = (
    entry: Series,
    state: SeriesWidth,
    watermark: number,
    out: Emitted,
    sequence: number,
  ) => {
    const fillUntil = (end: number) => {
      if (!config.forwardFill || state.lastClose === undefined) return;
      for (let start = state.finalBefore; start + state.width <= end; start += state.width) {
        if (state.open.has(start)) break;
        out.push(entry, state, filledBucket(start, state.lastClose, sequence, entry), true, true);
        state.finalBefore = start + state.width;
      }
    };
    const due = [...state.open.values()].filter((bucket) => bucket.start + state.width <= watermark);
    due.sort((a, b) => a.start - b.start);
    for (const bucket of due) {
      fillUntil(bucket.start);
      state.open.delete(bucket.start);
      state.finalBefore = Math.max(state.finalBefore, bucket.start + state.width);
      state.lastClose = bucket.close;
      out.push(entry, state, bucket, true);
      if (config.late === "revise") state.closed.set(bucket.start, bucket);
    }
    // Up to the watermark, not beyond the data (a flush has none).
    if (Number.isFinite(watermark)) fillUntil(watermark);
    if (config.late === "revise") {
      const keep = config.reviseFor ?? state.width;
      for (const [start] of state.closed)
        if (start + state.width + lateness + keep <= watermark) state.closed.delete(start);
    }
  };

  class Emitted {
    readonly candles: CryptoOHLCV[] = [];
    sequence = Number.POSITIVE_INFINITY;
    push(entry: Series, state: SeriesWidth, bucket: Bucket, isFinal: boolean, filled = false) {
      this.candles.push(candleOf(entry.identity, state, bucket, isFinal, filled));
      this.sequence = Math.min(this.sequence, bucket.firstSequence);
    }
    output(extra: { rejected?: ProcessorRejection[] } = {}): ProcessorOutput {
      const batches: RecordBatch[] =
        this.candles.length > 0
          ? [
              {
                kind: "ohlcv",
                records: this.candles,
                ...(Number.isFinite(this.sequence) ? { sequence: this.sequence } : {}),
              },
            ]
          : [];
      return {
        batches,
        ...(extra.rejected && extra.rejected.length > 0 ? { rejected: extra.rejected } : {}),
      };
    }
  }

  function add(
    record: MarketRecord,
    kind: "trade" | "price",
    sequence: number,
    out: Emitted,
    touched: Set<Bucket>,
  ) {
    const value = record as unknown as Record<string, string | undefined>;
    const time = Date.parse((kind === "trade" ? value.timestamp : value.lastUpdated) as string);
    const price = (kind === "trade" ? value.price : value.usdPrice) as string;
    const amount = kind === "trade" ? value.amount : undefined;
    const entry = seriesOf(record);
    entry.lastArrival = now();
    const rejected: ProcessorRejection[] = [];
    for (const state of entry.widths) {
      const start = bucketStart(time, state.width);
      if (start < state.finalBefore) {
        const closed = state.closed.get(start);
        if (config.late === "revise" && closed) {
          extend(closed, price, amount);
          closed.firstSequence = Math.min(closed.firstSequence, sequence);
          out.push(entry, state, closed, true);
        } else {
          rejected.push({
            kind,
            record,
            error: qiError(
              "VALIDATION_FAILED",
              `${kind} at ${new Date(time).toISOString()} came after its ${state.timeframe} candle of ${entry.identity.instrument} (${new Date(start).toISOString()}) was final (allowedLateness ${lateness} ms)`,
              { context: { timeframe: state.timeframe, bucket: new Date(start).toISOString(), late: true } },
            ),
          });
        }
        continue;
      }
      const bucket = state.open.get(start);
      if (bucket) extend(bucket, price, amount);
      else
        state.open.set(start, {
          start,
          open: price,
          high: price,
          low: price,
          close: price,
          volume: amount,
          tradeCount: kind === "trade" ? 1 : 0,
          firstSequence: sequence,
          source: String(value.source),
          attribution: String(value.attribution),
        });
      touched.add(state.open.get(start) as Bucket);
    }
    if (time > entry.newest) entry.newest = time;
    for (const state of entry.widths) closeUpTo(entry, state, entry.newest - lateness, out, sequence);
    return rejected;
  }

  return {
    process(batch: RecordBatch, sequence: number): ProcessorOutput {
      const out = new Emitted();
      const rejected: ProcessorRejection[] = [];
      const touched = new Set<Bucket>();
      const kind = batch.kind as "trade" | "price";
      for (const record of batch.records) rejected.push(...add(record, kind, sequence, out, touched));
      if (config.emitOpen) {
        for (const entry of series.values())
          for (const state of entry.widths)
            for (const bucket of state.open.values())
              if (touched.has(bucket)) out.push(entry, state, bucket, false);
      }
      return out.output({ rejected });
    },

    tick(time: number): ProcessorOutput {
      const out = new Emitted();
      if (config.closeAfterIdle === undefined) return out.output();
      for (const entry of series.values()) {
        if (time - entry.lastArrival < config.closeAfterIdle) continue;
        // A quiet series: its open buckets are closed by the wall clock once they have ended.
        for (const state of entry.widths)
          closeUpTo(entry, state, time - lateness, out, Number.POSITIVE_INFINITY);
      }
      return out.output();
    },

    flush(): ProcessorOutput {
      const out = new Emitted();
      for (const entry of series.values())
        for (const state of entry.widths)
          closeUpTo(entry, state, Number.POSITIVE_INFINITY, out, Number.POSITIVE_INFINITY);
      return out.output();
    },

    retainedFrom(): number | undefined {
      let oldest: number | undefined;
      for (const entry of series.values())
        for (const state of entry.widths)
          for (const bucket of [...state.open.values(), ...state.closed.values()])
            if (oldest === undefined || bucket.firstSequence < oldest) oldest = bucket.firstSequence;
      return oldest;
    },

    /** Open buckets now (for tests and memory checks). */
    openBuckets(): number {
      let total = 0;
      for (const entry of series.values()) for (const state of entry.widths) total += state.open.size;
      return total;
    },
  };
}

function extend(bucket: Bucket, price: string, amount: string | undefined): void {
  if (compareDecimal(price, bucket.high) > 0) bucket.high = price;
  if (compareDecimal(price, bucket.low) < 0) bucket.low = price;
  bucket.close = price;
  if (amount !== undefined) {
    bucket.volume = bucket.volume === undefined ? amount : addDecimal(bucket.volume, amount);
    bucket.tradeCount++;
  }
}

function filledBucket(start: number, close: string, sequence: number, entry: Series): Bucket {
  const model = entry.widths.flatMap((state) => [...state.open.values(), ...state.closed.values()])[0];
  return {
    start,
    open: close,
    high: close,
    low: close,
    close,
    // No volume is invented for a series that has none (candles from prices).
    volume: model === undefined || model.volume !== undefined ? "0" : undefined,
    tradeCount: 0,
    firstSequence: sequence,
    source: model?.source ?? entry.source,
    attribution: model?.attribution ?? entry.attribution,
  };
}

export const candlesProcessor = defineProcessor({
  name: "candles",
  description:
    "OHLCV candles of given widths from trades (or prices), final when the bucket is closed by event time.",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema: candlesConfigSchema,
  capabilities: { kinds: ["trade", "price"], emits: ["ohlcv"] },
  create: (config) => createCandleBuilder(config),
});
