import type { CryptoOHLCVInput, CryptoPriceInput } from "@qicore/core/adapter";
import type { Instrument, LearnedIdentity } from "./instruments";
import { bucketOnWall, type Interval, intervalFacts } from "./intervals";
import type { PriceResponse, QuoteResponse, TimeSeriesResponse } from "./responses";
import { parseWall, wallToInstant } from "./time-zones";

export const SOURCE_NAME = "twelvedata";
export const ATTRIBUTION = "Data provided by Twelve Data";

function instrumentFields(instrument: Instrument, identity: LearnedIdentity) {
  return {
    ...(instrument.coinId ? { coinId: instrument.coinId } : {}),
    exchangeId: identity.exchangeId,
    instrument: instrument.symbol,
    quote: identity.quote,
    assetClass: instrument.assetClass,
  };
}

/**
 * A /quote answer as a price: the last price (`close`) at the time of the last minute candle
 * (`last_quote_at`, else the bar's `timestamp`). Twelve Data's `volume` counts shares or coins
 * of the current bar, not quote currency over 24 hours, so `volume24h` is left out; the day
 * change is `percent_change` (crypto: the rolling 24-hour change where given).
 */
export function priceFromQuote(
  instrument: Instrument,
  identity: LearnedIdentity,
  quote: QuoteResponse,
): CryptoPriceInput {
  const change24h =
    instrument.assetClass === "crypto"
      ? (quote.rolling_1d_change ?? quote.percent_change)
      : quote.percent_change;
  return {
    ...instrumentFields(instrument, identity),
    symbol: instrument.base ?? instrument.symbol.slice(0, 20),
    usdPrice: quote.close,
    ...(change24h ? { change24h } : {}),
    ...(quote.rolling_7d_change ? { change7d: quote.rolling_7d_change } : {}),
    lastUpdated: (quote.last_quote_at ?? quote.timestamp) * 1000,
    source: SOURCE_NAME,
    attribution: ATTRIBUTION,
  };
}

/** A /price answer as a price. /price says no time, so it is stamped with the time the answer arrived. */
export function priceFromPrice(
  instrument: Instrument,
  identity: LearnedIdentity,
  price: PriceResponse,
  answeredAt: number,
): CryptoPriceInput {
  return {
    ...instrumentFields(instrument, identity),
    symbol: instrument.base ?? instrument.symbol.slice(0, 20),
    usdPrice: price.price,
    lastUpdated: answeredAt,
    source: SOURCE_NAME,
    attribution: ATTRIBUTION,
  };
}

export interface MappedCandles {
  candles: CryptoOHLCVInput[];
  /** Rows whose datetime could not be read (skipped). */
  unreadable: string[];
}

/**
 * /time_series rows as candles, oldest first. Twelve Data stamps a row with the open of its
 * bucket on the exchange's wall clock (`meta.exchange_timezone`; forex and crypto in UTC), so
 * each becomes the UTC instant of that wall time: across a clock change the offset changes
 * with it, and a wall time the autumn overlap shows twice gets the instant that keeps the
 * series in order. Daily, weekly and monthly rows are dates: their bucket opens at the
 * exchange's local midnight (a month's on its 1st) and ends at the next bucket's. A bucket
 * that has not ended at `now` is `isFinal: false`. Rows without `volume`
 * (forex) have none: it is not invented.
 */
export function candlesFromSeries(
  instrument: Instrument,
  identity: LearnedIdentity,
  series: TimeSeriesResponse,
  interval: Interval,
  now: number,
): MappedCandles {
  const zone = identity.timeZone ?? "UTC";
  const { timeframe, ms, calendar } = intervalFacts(interval);
  const rows = series.values.map((row) => ({ row, wall: parseWall(row.datetime) }));
  const unreadable = rows.filter((entry) => entry.wall === undefined).map((entry) => entry.row.datetime);
  const readable = rows.filter(
    (entry): entry is { row: (typeof rows)[number]["row"]; wall: number } => entry.wall !== undefined,
  );
  // Twelve Data answers newest first unless asked otherwise; walk oldest first either way.
  if (readable.length > 1 && (readable[0]?.wall ?? 0) > (readable.at(-1)?.wall ?? 0)) readable.reverse();
  const candles: CryptoOHLCVInput[] = [];
  let previous = Number.NEGATIVE_INFINITY;
  for (const { row, wall } of readable) {
    const bucket = bucketOnWall(interval, wall);
    const open = wallToInstant(bucket.open, zone, previous);
    const end = calendar ? wallToInstant(bucket.end, zone) : open + ms;
    previous = open;
    candles.push({
      ...instrumentFields(instrument, identity),
      ...(instrument.base ? { base: instrument.base } : {}),
      timestamp: open,
      timeframe,
      open: row.open,
      high: row.high,
      low: row.low,
      close: row.close,
      volume: row.volume ?? null,
      isFinal: end <= now,
      source: SOURCE_NAME,
      attribution: ATTRIBUTION,
    });
  }
  return { candles, unreadable };
}
