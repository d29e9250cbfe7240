import { z } from "zod";
import { defineProcessor } from "../adapters/define";
import type { ProcessorOutput, ProcessorRejection, RecordBatch } from "../adapters/processor-types";
import { ADAPTER_CONTRACT_VERSION } from "../adapters/types";
import { durationSchema } from "../config/schema";
import type { MarketRecord } from "../dsl/kinds";
import type { CryptoOHLCV } from "../dsl/records";
import { qiError } from "../errors/qi-error";
import { bucketStart, candleWidth, widthMs } from "./buckets";
import { DecimalSum, orderingNumber, scaleOf, unitsOf } from "./decimal-sum";
import { compareDecimal } from "./decimal-text";
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
  /** high and low as numbers where that orders them exactly (NaN: compare the text). */
  highOrder: number;
  lowOrder: number;
  volume: DecimalSum | undefined;
  tradeCount: number;
  /** The oldest input batch that fed it (held until its final candle is written). */
  firstSequence: number;
  /** The newest input batch that fed it. */
  lastSequence: number;
  /**
   * Written already by an earlier run (the state restored says so): read again from a
   * checkpoint inside it, only its tail is here, so it is followed but never handed on.
   */
  muted: boolean;
  source: string;
  attribution: string;
}

interface SeriesWidth {
  /** The series it is a width of (snapshot names buckets by it). */
  identity: SeriesIdentity;
  width: number;
  timeframe: string;
  /** Buckets still open, by start. */
  open: Map<number, Bucket>;
  /**
   * The open bucket the last record went to: nearly every record goes to the same one as the
   * one before, and a Map lookup by a millisecond start (a heap number) costs more than the rest.
   */
  current: Bucket | undefined;
  /** The earliest end of an open bucket: no bucket closes before the watermark passes it. */
  earliestEnd: number;
  /** Final buckets that may still be revised (late: revise), by start. */
  closed: Map<number, Bucket>;
  /** Buckets that start before this are final. */
  finalBefore: number;
  /** The last final close, for forward fill. */
  lastClose: string | undefined;
  /** Starts of buckets an earlier run wrote whose inputs may be read again (restored state). */
  written: Set<number>;
  /** Buckets closed since the last saved checkpoint, while they may be read again after a restart. */
  recent: ClosedBucket[];
  /** Open buckets an earlier run wrote (muted). */
  mutedOpen: number;
  /** Built from the narrowest width's closed buckets, not from each record (see `derivable`). */
  fromNarrower: boolean;
  /** On the narrowest width: the wider ones built from its buckets as they close. */
  wider: SeriesWidth[];
}

/** What `snapshot` needs of a closed bucket (not its prices: those are written). */
type ClosedBucket = Pick<Bucket, "start" | "firstSequence" | "lastSequence" | "muted">;

/** A bucket written already, as the state saved with a checkpoint names it. */
type WrittenBucket = [
  exchangeId: string,
  instrument: string,
  quote: string,
  timeframe: string,
  start: number,
];

/** What the candles processor keeps with the source's checkpoints. */
interface CandlesState {
  version: 1;
  written: WrittenBucket[];
}

function isCandlesState(state: unknown): state is CandlesState {
  const value = state as Partial<CandlesState> | undefined;
  return (
    value?.version === 1 &&
    Array.isArray(value.written) &&
    value.written.every(
      (entry) =>
        Array.isArray(entry) &&
        entry.length === 5 &&
        entry.slice(0, 4).every((part) => typeof part === "string") &&
        typeof entry[4] === "number",
    )
  );
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
  /** Series by instrument symbol (several venues or quotes may share one). */
  const series = new Map<string, Series[]>();
  const allSeries = function* () {
    for (const list of series.values()) yield* list;
  };
  /** The oldest input batch an open or revisable bucket holds; null when it must be recomputed. */
  let retained: number | undefined | null;
  /**
   * Whether the pipeline keeps this processor's state with its checkpoints (`restore` was
   * called): only then are closed buckets remembered for `snapshot`.
   */
  let persisting = false;
  /** Restored written buckets of series not seen yet in this run: series key → timeframe → starts. */
  const restored = new Map<string, { identity: SeriesIdentity; starts: Map<string, Set<number>> }>();
  /**
   * The series-widths `snapshot` has something to say of (recent closed buckets, written or
   * muted ones): with a commit per batch and thousands of series, visiting every one of them
   * at each commit cost more than building the candles.
   */
  const remembered = new Set<SeriesWidth>();
  const lateness = config.allowedLateness;
  const revising = config.late === "revise";
  /** Forward fill hands on buckets past the last one that had records. */
  const closesByTimeToo = config.forwardFill;
  const widths = derivable(
    config,
    config.widths.map((timeframe) => ({ timeframe, width: widthMs(timeframe) })),
  );

  const seriesOf = (record: MarketRecord, arrival: number): Series => {
    const value = record as unknown as Record<string, unknown>;
    // Looked up by the record's own instrument string (its hash is kept on the string), then
    // by venue and quote among the few series of that symbol: no key is built per record.
    const instrument = textOf(value.instrument ?? value.coinId);
    const exchangeId = textOf(value.exchangeId);
    const quote = textOf(value.quote ?? "USD");
    let bySymbol = series.get(instrument);
    if (!bySymbol) {
      bySymbol = [];
      series.set(instrument, bySymbol);
    }
    let found: Series | undefined;
    for (const candidate of bySymbol)
      if (candidate.identity.exchangeId === exchangeId && candidate.identity.quote === quote) {
        found = candidate;
        break;
      }
    if (!found) {
      const identity = identityOf(record);
      const earlier = restored.get(seriesKey(identity));
      restored.delete(seriesKey(identity));
      found = {
        identity,
        source: String((record as unknown as { source?: unknown }).source),
        attribution: String((record as unknown as { attribution?: unknown }).attribution),
        newest: Number.NEGATIVE_INFINITY,
        lastArrival: arrival,
        widths: widths.map(({ timeframe, width, fromNarrower }) => ({
          identity,
          width,
          timeframe,
          open: new Map(),
          current: undefined,
          earliestEnd: Number.POSITIVE_INFINITY,
          closed: new Map(),
          finalBefore: Number.NEGATIVE_INFINITY,
          lastClose: undefined,
          written: earlier?.starts.get(timeframe) ?? new Set(),
          recent: [],
          mutedOpen: 0,
          fromNarrower,
          wider: [],
        })),
      };
      const [narrowest, ...others] = found.widths as [SeriesWidth, ...SeriesWidth[]];
      narrowest.wider = others.filter((state) => state.fromNarrower);
      for (const state of found.widths) if (state.written.size > 0) remembered.add(state);
      bySymbol.push(found);
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
      ...(bucket.volume !== undefined ? { volume: bucket.volume.toString() } : {}),
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
    // Most calls close nothing: the watermark has not passed any open bucket, and there is
    // nothing to fill or forget.
    if (
      watermark < state.earliestEnd &&
      state.closed.size === 0 &&
      !(config.forwardFill && state.lastClose !== undefined && watermark >= state.finalBefore + state.width)
    )
      return;
    const fillUntil = (end: number) => {
      if (!config.forwardFill || state.lastClose === undefined) return;
      for (let start = state.finalBefore; start + state.width <= end; start += state.width) {
        if (state.open.has(start)) break;
        out.push(entry, state, filledBucket(start, state.lastClose, sequence, entry), true, true);
        state.finalBefore = start + state.width;
      }
    };
    const due: Bucket[] = [];
    let earliestEnd = Number.POSITIVE_INFINITY;
    for (const bucket of state.open.values()) {
      const end = bucket.start + state.width;
      if (end <= watermark) due.push(bucket);
      else if (end < earliestEnd) earliestEnd = end;
    }
    state.earliestEnd = earliestEnd;
    if (due.length > 1) due.sort((a, b) => a.start - b.start);
    // The oldest held batch may have been in a bucket closing now.
    if (due.length > 0) retained = null;
    for (const bucket of due) {
      fillUntil(bucket.start);
      state.open.delete(bucket.start);
      if (state.current === bucket) state.current = undefined;
      state.finalBefore = Math.max(state.finalBefore, bucket.start + state.width);
      state.lastClose = bucket.close;
      if (bucket.muted) state.mutedOpen--;
      // Before the wider widths close anything: the narrowest comes first in `widths`.
      for (const wider of state.wider) foldInto(wider, bucket);
      // A revisable bucket itself (a revision moves its last input on), else only what is needed.
      if (persisting) remembered.add(state);
      if (persisting)
        state.recent.push(
          config.late === "revise"
            ? bucket
            : {
                start: bucket.start,
                firstSequence: bucket.firstSequence,
                lastSequence: bucket.lastSequence,
                muted: bucket.muted,
              },
        );
      // A muted bucket's candle was written by an earlier run, from all of its trades.
      if (bucket.muted) continue;
      out.push(entry, state, bucket, true);
      if (config.late === "revise") state.closed.set(bucket.start, bucket);
    }
    // Up to the watermark, not beyond the data (a flush has none).
    if (Number.isFinite(watermark)) fillUntil(watermark);
    if (config.late === "revise") {
      const keep = config.reviseFor ?? state.width;
      for (const [start, bucket] of state.closed)
        if (start + state.width + lateness + keep <= watermark) {
          state.closed.delete(start);
          retained = null;
          // Revised since it closed, it may reach back past a checkpoint again.
          if (persisting && !state.recent.includes(bucket)) {
            state.recent.push(bucket);
            remembered.add(state);
          }
        }
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

  // Records of a batch mostly share a few timestamps: parse each text once.
  let lastTimeText: string | undefined;
  let lastTime = Number.NaN;
  const timeOf = (text: string) => {
    if (text !== lastTimeText) {
      lastTimeText = text;
      lastTime = Date.parse(text);
    }
    return lastTime;
  };

  function add(
    record: MarketRecord,
    kind: "trade" | "price",
    sequence: number,
    arrival: number,
    out: Emitted,
    touched: Set<Bucket> | undefined,
    rejected: ProcessorRejection[],
  ) {
    const value = record as unknown as Record<string, string | undefined>;
    const time = timeOf((kind === "trade" ? value.timestamp : value.lastUpdated) as string);
    const price = (kind === "trade" ? value.price : value.usdPrice) as string;
    const order = orderingNumber(price);
    const amount = kind === "trade" ? value.amount : undefined;
    const amountScale = amount === undefined ? 0 : scaleOf(amount);
    const amountUnits = amount === undefined ? 0 : unitsOf(amount, amountScale);
    const entry = seriesOf(record, arrival);
    entry.lastArrival = arrival;
    let narrowestTook = false;
    for (const state of entry.widths) {
      // A wider width built from the narrowest gets the record through its bucket, unless the
      // record came too late for that one (then straight, as every width would).
      if (narrowestTook && state.fromNarrower) continue;
      const current = state.current;
      const start =
        current !== undefined && time >= current.start && time < current.start + state.width
          ? current.start
          : bucketStart(time, state.width);
      if (start < state.finalBefore && !state.written.has(start)) {
        const closed = state.closed.get(start);
        if (config.late === "revise" && closed) {
          extend(closed, price, order, amount, amountUnits, amountScale);
          closed.firstSequence = Math.min(closed.firstSequence, sequence);
          closed.lastSequence = Math.max(closed.lastSequence, sequence);
          retained = null;
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
      let bucket = current?.start === start ? current : state.open.get(start);
      if (bucket) {
        extend(bucket, price, order, amount, amountUnits, amountScale);
        bucket.lastSequence = sequence;
      } else {
        bucket = {
          start,
          open: price,
          high: price,
          low: price,
          close: price,
          highOrder: order,
          lowOrder: order,
          volume: amount === undefined ? undefined : new DecimalSum(amount, amountUnits, amountScale),
          tradeCount: kind === "trade" ? 1 : 0,
          firstSequence: sequence,
          lastSequence: sequence,
          muted: state.written.delete(start),
          source: String(value.source),
          attribution: String(value.attribution),
        };
        state.open.set(start, bucket);
        if (bucket.muted) state.mutedOpen++;
        if (retained !== null) retained = retained === undefined ? sequence : Math.min(retained, sequence);
        if (start + state.width < state.earliestEnd) state.earliestEnd = start + state.width;
      }
      state.current = bucket;
      if (!bucket.muted) touched?.add(bucket);
      if (state.wider.length > 0) narrowestTook = true;
    }
    if (time > entry.newest) entry.newest = time;
    const watermark = entry.newest - lateness;
    // The common case, nothing to close, decided here: a call per width and trade (with its
    // watermark boxed as a heap number) cost more than the check.
    for (const state of entry.widths)
      if (watermark >= state.earliestEnd || closesByTimeToo || (revising && state.closed.size > 0))
        closeUpTo(entry, state, watermark, out, sequence);
  }

  return {
    process(batch: RecordBatch, sequence: number): ProcessorOutput {
      const out = new Emitted();
      const rejected: ProcessorRejection[] = [];
      const touched = config.emitOpen ? new Set<Bucket>() : undefined;
      const kind = batch.kind as "trade" | "price";
      const arrival = now();
      for (const record of batch.records) add(record, kind, sequence, arrival, out, touched, rejected);
      if (touched) {
        for (const entry of allSeries())
          for (const state of entry.widths)
            for (const bucket of state.open.values())
              if (touched.has(bucket)) out.push(entry, state, bucket, false);
      }
      return out.output({ rejected });
    },

    tick(time: number): ProcessorOutput {
      const out = new Emitted();
      if (config.closeAfterIdle === undefined) return out.output();
      for (const entry of allSeries()) {
        if (time - entry.lastArrival < config.closeAfterIdle) continue;
        // A quiet series: its open buckets are closed by the wall clock once they have ended.
        for (const state of entry.widths)
          closeUpTo(entry, state, time - lateness, out, Number.POSITIVE_INFINITY);
      }
      return out.output();
    },

    flush(): ProcessorOutput {
      const out = new Emitted();
      for (const entry of allSeries())
        for (const state of entry.widths)
          closeUpTo(entry, state, Number.POSITIVE_INFINITY, out, Number.POSITIVE_INFINITY);
      return out.output();
    },

    retainedFrom(): number | undefined {
      if (retained !== null) return retained;
      let oldest: number | undefined;
      for (const entry of allSeries())
        for (const state of entry.widths) {
          for (const bucket of state.open.values())
            if (oldest === undefined || bucket.firstSequence < oldest) oldest = bucket.firstSequence;
          for (const bucket of state.closed.values())
            if (oldest === undefined || bucket.firstSequence < oldest) oldest = bucket.firstSequence;
        }
      retained = oldest;
      return oldest;
    },

    /**
     * The buckets a restart must not build again from what it reads again: each written
     * (final and handed on from batches up to `sequence`, or written by an earlier run) and
     * fed by a batch after `since`, from which on a restart may read. Buckets fed only up to
     * `since` are forgotten: no restart reads their trades again.
     */
    snapshot(sequence: number, since: number): CandlesState {
      const written: WrittenBucket[] = [];
      const name = (identity: SeriesIdentity, timeframe: string, start: number): WrittenBucket => [
        identity.exchangeId,
        identity.instrument,
        identity.quote,
        timeframe,
        start,
      ];
      for (const state of remembered) {
        const { identity, timeframe } = state;
        state.recent = state.recent.filter((bucket) => bucket.lastSequence > since);
        for (const bucket of state.recent)
          if (bucket.muted || bucket.firstSequence <= sequence)
            written.push(name(identity, timeframe, bucket.start));
        if (state.mutedOpen > 0)
          for (const bucket of state.open.values())
            if (bucket.muted) written.push(name(identity, timeframe, bucket.start));
        for (const start of state.written) {
          // Once a later bucket closed, a trade of this one is late: it is no bucket's any more.
          if (start < state.finalBefore) state.written.delete(start);
          else written.push(name(identity, timeframe, start));
        }
        if (state.recent.length === 0 && state.mutedOpen === 0 && state.written.size === 0)
          remembered.delete(state);
      }
      for (const { identity, starts } of restored.values())
        for (const [timeframe, set] of starts)
          for (const start of set) written.push(name(identity, timeframe, start));
      return { version: 1, written };
    },

    /** The state saved with the checkpoint this run resumes from (see `snapshot`). */
    restore(state: unknown): void {
      persisting = true;
      if (!isCandlesState(state)) return;
      for (const [exchangeId, instrument, quote, timeframe, start] of state.written) {
        const identity = { exchangeId, instrument, quote };
        const key = seriesKey(identity);
        let entry = restored.get(key);
        if (!entry) {
          entry = { identity, starts: new Map() };
          restored.set(key, entry);
        }
        let starts = entry.starts.get(timeframe);
        if (!starts) {
          starts = new Set();
          entry.starts.set(timeframe, starts);
        }
        starts.add(start);
      }
    },

    /** Open buckets now (for tests and memory checks). */
    openBuckets(): number {
      let total = 0;
      for (const entry of allSeries()) for (const state of entry.widths) total += state.open.size;
      return total;
    },
  };
}

interface Width {
  timeframe: string;
  width: number;
  fromNarrower: boolean;
}

/**
 * The widths in the order they are kept, the narrowest first, and which of the others are built
 * from its closed buckets instead of from every record: a multiple of it on the same grid, when
 * neither open candles nor revisions are asked for (both need the record itself in every width).
 * A wider candle from narrower ones is the same candle (first open, highest high, lowest low,
 * last close, summed volume and trades), for a fraction of the work per record.
 */
function derivable(config: CandlesConfig, given: readonly { timeframe: string; width: number }[]): Width[] {
  const narrowest = given.reduce((least, width) => (width.width < least.width ? width : least));
  const derive = !config.emitOpen && config.late !== "revise";
  return [narrowest, ...given.filter((width) => width !== narrowest)].map((width) => ({
    ...width,
    fromNarrower: derive && width !== narrowest && width.width % narrowest.width === 0,
  }));
}

/** Adds a closed bucket of the narrowest width to the open bucket of a wider width holding it. */
function foldInto(state: SeriesWidth, narrow: Bucket): void {
  const start = bucketStart(narrow.start, state.width);
  const bucket = state.open.get(start);
  if (bucket) {
    extendBy(bucket, narrow);
    return;
  }
  const made: Bucket = {
    ...narrow,
    start,
    volume: narrow.volume === undefined ? undefined : DecimalSum.copyOf(narrow.volume),
    muted: state.written.delete(start),
  };
  state.open.set(start, made);
  if (made.muted) state.mutedOpen++;
  if (start + state.width < state.earliestEnd) state.earliestEnd = start + state.width;
}

/** A bucket grown by a later bucket of a narrower width inside it. */
function extendBy(bucket: Bucket, narrow: Bucket): void {
  if (compareOrdered(narrow.highOrder, narrow.high, bucket.highOrder, bucket.high) > 0) {
    bucket.high = narrow.high;
    bucket.highOrder = narrow.highOrder;
  }
  if (compareOrdered(narrow.lowOrder, narrow.low, bucket.lowOrder, bucket.low) < 0) {
    bucket.low = narrow.low;
    bucket.lowOrder = narrow.lowOrder;
  }
  bucket.close = narrow.close;
  if (narrow.volume !== undefined) {
    if (bucket.volume === undefined) bucket.volume = DecimalSum.copyOf(narrow.volume);
    else bucket.volume.merge(narrow.volume);
  }
  bucket.tradeCount += narrow.tradeCount;
  bucket.firstSequence = Math.min(bucket.firstSequence, narrow.firstSequence);
  bucket.lastSequence = Math.max(bucket.lastSequence, narrow.lastSequence);
}

/** A field as text: records carry strings, so `String()` (a call per field and trade) is rarely needed. */
function textOf(value: unknown): string {
  return typeof value === "string" ? value : String(value);
}

/** -1, 0 or 1: by number where both order exactly as numbers, else by the exact text. */
function compareOrdered(order: number, text: string, otherOrder: number, otherText: string): number {
  if (!Number.isNaN(order) && !Number.isNaN(otherOrder))
    return order < otherOrder ? -1 : order > otherOrder ? 1 : 0;
  return compareDecimal(text, otherText);
}

function extend(
  bucket: Bucket,
  price: string,
  order: number,
  amount: string | undefined,
  amountUnits: number,
  amountScale: number,
): void {
  // By number first (NaN compares false either way); by text only when a side is not exact.
  if (
    order > bucket.highOrder ||
    ((Number.isNaN(order) || Number.isNaN(bucket.highOrder)) &&
      compareOrdered(order, price, bucket.highOrder, bucket.high) > 0)
  ) {
    bucket.high = price;
    bucket.highOrder = order;
  }
  if (
    order < bucket.lowOrder ||
    ((Number.isNaN(order) || Number.isNaN(bucket.lowOrder)) &&
      compareOrdered(order, price, bucket.lowOrder, bucket.low) < 0)
  ) {
    bucket.low = price;
    bucket.lowOrder = order;
  }
  bucket.close = price;
  if (amount !== undefined) {
    if (bucket.volume === undefined) bucket.volume = new DecimalSum(amount, amountUnits, amountScale);
    else bucket.volume.addUnits(amount, amountUnits, amountScale);
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
    highOrder: orderingNumber(close),
    lowOrder: orderingNumber(close),
    // No volume is invented for a series that has none (candles from prices).
    volume: model === undefined || model.volume !== undefined ? new DecimalSum("0") : undefined,
    tradeCount: 0,
    firstSequence: sequence,
    lastSequence: sequence,
    muted: false,
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
