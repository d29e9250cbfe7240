import type { MarketRecord } from "../dsl/kinds";

/** What names a series of an instrument: venue, venue symbol, quote currency. */
export interface SeriesIdentity {
  exchangeId: string;
  instrument: string;
  quote: string;
  base?: string;
  coinId?: string;
  assetClass?: string;
}

/** The identity fields of a record of an instrument (a trade, a price, a candle). */
export function identityOf(record: MarketRecord): SeriesIdentity {
  const value = record as unknown as Record<string, unknown>;
  const identity: SeriesIdentity = {
    exchangeId: String(value.exchangeId),
    instrument: String(value.instrument ?? value.coinId),
    quote: String(value.quote ?? "USD"),
  };
  if (typeof value.base === "string") identity.base = value.base;
  if (typeof value.coinId === "string") identity.coinId = value.coinId;
  if (typeof value.assetClass === "string") identity.assetClass = value.assetClass;
  return identity;
}

export function seriesKey(identity: SeriesIdentity): string {
  return `${identity.exchangeId}\u0000${identity.instrument}\u0000${identity.quote}`;
}
