import type { CryptoOHLCVInput, CryptoPriceInput } from "@qicore/core/adapter";
import type { Call, CoinGeckoApi } from "./api";
import type { Backfill, BackfillCursor, BackfillRange } from "./backfill";
import { type CandleWidth, candlesFromOhlc } from "./candles";
import { pricesFromMarketChart } from "./mappers";

/** What one range of a backfill gave: the records it keeps and the endpoint asked. */
export interface RangeRecords<Record> {
  records: Record[];
  path: string;
}

export interface WalkOptions<Record> {
  /** Asks CoinGecko for one range. */
  fetch(range: BackfillRange): Promise<RangeRecords<Record>>;
  /** A range of a coin that cannot be asked for (no symbol): the coin is skipped, no request spent. */
  skips?(range: BackfillRange): boolean;
  /** Told every cursor reached, so a checkpoint can carry it. */
  onCursor?(cursor: BackfillCursor): void;
  /** Most requests to send; all of them when absent. */
  limit?: number;
  signal?: AbortSignal | undefined;
}

/**
 * The one loop over a backfill's ranges, for the history streams (a slice per read, resumed
 * from the checkpoint) and for the DSL's range queries (every range at once): one request per
 * range, in order, each range's records yielded after the cursor moved past it.
 */
export async function* walkBackfill<Record>(
  backfill: Backfill,
  start: BackfillCursor,
  options: WalkOptions<Record>,
): AsyncGenerator<RangeRecords<Record> & { range: BackfillRange; cursor: BackfillCursor }> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let cursor = start;
  for (let requests = 0; requests < limit && !options.signal?.aborted; ) {
    const range = backfill.range(cursor);
    if (!range) return;
    if (options.skips?.(range)) {
      cursor = backfill.skipCoin(cursor);
      options.onCursor?.(cursor);
      continue;
    }
    const fetched = await options.fetch(range);
    requests++;
    cursor = backfill.advance(cursor, range);
    options.onCursor?.(cursor);
    yield { ...fetched, range, cursor };
  }
}

/** Every record of a backfill's ranges, for the DSL's queries over a period. */
export async function collectBackfill<Record>(
  backfill: Backfill,
  now: number,
  fetch: WalkOptions<Record>["fetch"],
): Promise<Record[]> {
  const records: Record[] = [];
  for await (const step of walkBackfill(backfill, backfill.start(undefined, now), { fetch }))
    records.push(...step.records);
  return records;
}

/** Prices of one range of a history backfill, from /coins/{id}/market_chart/range. */
export async function historyRange(
  api: CoinGeckoApi,
  symbol: string,
  range: BackfillRange,
  call: Call,
): Promise<RangeRecords<CryptoPriceInput>> {
  const { path, data } = await api.marketChartRange(
    range.coin,
    { from: range.requestFrom, to: range.requestTo },
    call,
  );
  return { path, records: pricesFromMarketChart(range.coin, symbol, data, range.keepFrom, range.keepTo) };
}

/** Candles of one range of a candle backfill, from /coins/{id}/ohlc/range. */
export async function candleRange(
  api: CoinGeckoApi,
  range: BackfillRange,
  candles: {
    interval: "hourly" | "daily";
    width: CandleWidth;
    /** The time now, read once the answer is in (a candle closed by then is final). */
    now: () => number;
    /** Told the width the data shows when it differs from the documented one. */
    onWidth?: (path: string, observed: CandleWidth) => void;
  },
  call: Call,
): Promise<RangeRecords<CryptoOHLCVInput>> {
  const { path, data } = await api.ohlcRange(
    range.coin,
    { from: range.requestFrom, to: range.requestTo, interval: candles.interval },
    call,
  );
  const mapped = candlesFromOhlc(data, {
    coinId: range.coin,
    width: candles.width,
    mode: "range",
    now: candles.now(),
  });
  if (mapped.observedWidth) candles.onWidth?.(path, mapped.observedWidth);
  const records = mapped.candles.filter((candle) => {
    const open = Date.parse(String(candle.timestamp));
    return open >= range.keepFrom && open < range.keepTo;
  });
  return { path, records };
}
