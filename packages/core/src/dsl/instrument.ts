import { code, identifier, shortText } from "./primitives";

/** Quote currency of records that do not name one: CoinGecko's prices and candles are in US dollars. */
export const DEFAULT_QUOTE = "USD";

/** Asset class of records that do not name one. */
export const DEFAULT_ASSET_CLASS = "crypto";

/**
 * What identifies an instrument on a venue. A series is unique by venue (`exchangeId`) and
 * the venue's own symbol (`instrument`), so keys use those two; `base` and `quote` are the
 * normalised codes for joining across venues, `coinId` the CoinGecko id where one is known.
 * The same fields fit venues beyond crypto: a stock on a market (`exchangeId: xnas`,
 * `instrument: AAPL`, `assetClass: equity`) or a currency pair (`instrument: EUR/USD`,
 * `assetClass: forex`).
 */
export const venueSymbol = (description: string) => shortText(50, description);

export const instrumentDescription =
  "The venue's own symbol of the instrument, case kept: `BTCUSDT` (Binance), `BTC-USD` (Coinbase), `BTC/USD` (Kraken), `AAPL`, `EUR/USD`.";

export const baseCode = (description = "Normalised base asset, e.g. `BTC` of BTC/USDT.") =>
  code(20, description);

export const quoteCode = (
  description = "Normalised quote currency the prices are in, e.g. `USDT` of BTC/USDT.",
) => code(20, description);

export const assetClass = () =>
  identifier(20, "Asset class: `crypto`, or e.g. `equity`, `forex`, `index`, `commodity`.").default(
    DEFAULT_ASSET_CLASS,
  );

export const coinIdWhereKnown = () =>
  identifier(50, "CoinGecko coin id of the base asset where known, e.g. `bitcoin`.").optional();

/**
 * Records that may leave `instrument` out (CoinGecko's, which name a coin instead) get the
 * coin id as their instrument, so their keys stay unique per coin and quote and their
 * Kafka keys stay what they were. The fields keep the schema's order, which the canonical
 * form (canonical.ts) relies on.
 */
export function instrumentFromCoinId<
  T extends { coinId?: string | undefined; instrument?: string | undefined },
>(fields: readonly string[]): (record: T) => T {
  return (record) => {
    if (record.instrument !== undefined) return record;
    const ordered: Record<string, unknown> = {};
    for (const field of fields) {
      if (field === "instrument") ordered.instrument = record.coinId;
      else if (field in record) ordered[field] = (record as Record<string, unknown>)[field];
    }
    return ordered as T;
  };
}

export const hasCoinIdOrInstrument = (record: {
  coinId?: string | undefined;
  instrument?: string | undefined;
}) => record.coinId !== undefined || record.instrument !== undefined;

export const NEEDS_COIN_OR_INSTRUMENT = {
  message: "needs an instrument (the venue's symbol) or a coinId",
  path: ["instrument"],
};
