import { z } from "zod";
import {
  assetClass,
  baseCode,
  coinIdWhereKnown,
  DEFAULT_QUOTE,
  hasCoinIdOrInstrument,
  instrumentDescription,
  instrumentFromCoinId,
  NEEDS_COIN_OR_INSTRUMENT,
  quoteCode,
  venueSymbol,
} from "./instrument";
import { count, decimal, identifier, longText, shortText, utcTimestamp } from "./primitives";

/** Exchange id used for prices aggregated across exchanges (CoinGecko's, for example). */
export const AGGREGATE_EXCHANGE = "aggregate";

const provenance = {
  source: shortText(100, "Name of the system the record came from, e.g. `coingecko`."),
  attribution: longText("Attribution text the data provider requires, e.g. `Data provided by CoinGecko`."),
};

const optionalDecimal = (precision: number, scale: number, description: string) =>
  decimal(precision, scale, description).nullable().optional();

/** An exchange price or amount: 18 integer and 12 fractional digits, finer than any exchange's tick. */
const exchangeDecimal = (description: string) => decimal(30, 12, description);

const optionalInstrument = () =>
  venueSymbol(
    `${instrumentDescription} Defaults to the coin id (CoinGecko's records name a coin, not a market).`,
  )
    .optional()
    .meta({ alwaysInOutput: true });

const priceShape = {
  coinId: coinIdWhereKnown(),
  symbol: shortText(20, "Ticker symbol of the base asset, e.g. `BTC`."),
  exchangeId: identifier(50, "Exchange id, or `aggregate` for a cross-exchange price.").default(
    AGGREGATE_EXCHANGE,
  ),
  instrument: optionalInstrument(),
  quote: quoteCode().default(DEFAULT_QUOTE),
  assetClass: assetClass(),
  usdPrice: decimal(20, 8, "Price in the quote currency (`quote`; US dollars for CoinGecko's prices)."),
  btcPrice: optionalDecimal(30, 18, "Price in bitcoin."),
  marketCap: optionalDecimal(30, 2, "Market capitalisation in the quote currency."),
  volume24h: optionalDecimal(30, 2, "Traded volume over the last 24 hours in the quote currency."),
  change24h: optionalDecimal(12, 4, "Price change over 24 hours, in percent."),
  change7d: optionalDecimal(12, 4, "Price change over 7 days, in percent."),
  lastUpdated: utcTimestamp("When the provider last updated this price (UTC)."),
  ...provenance,
};

/** A spot price of one instrument, on one exchange or aggregated across exchanges. */
export const CryptoPriceSchema = z
  .object(priceShape)
  .strict()
  .refine(hasCoinIdOrInstrument, NEEDS_COIN_OR_INSTRUMENT)
  .overwrite(instrumentFromCoinId(Object.keys(priceShape)))
  .meta({ id: "CryptoPrice", title: "Crypto price", description: "A spot price of one coin at one time." });

/**
 * Width of a candle: a number and a unit (m, h, d, w, mo), e.g. `1m`, `4h`, `1d`, `1mo`.
 * `mo` is a calendar month (28 to 31 days, starting on the 1st), as stock and forex providers
 * give monthly bars; `m` stays minutes.
 */
export const Timeframe = z
  .string()
  .regex(/^[1-9]\d{0,3}(m|h|d|w|mo)$/, "a width such as 1m, 5m, 1h, 4h, 1d, 1w or 1mo")
  .meta({ sqlType: "VARCHAR(10)", description: "Candle width, e.g. `1h`." });

const ohlcvShape = {
  coinId: coinIdWhereKnown(),
  exchangeId: identifier(50, "Exchange id, or `aggregate`.").default(AGGREGATE_EXCHANGE),
  instrument: optionalInstrument(),
  base: baseCode().optional(),
  quote: quoteCode().default(DEFAULT_QUOTE),
  assetClass: assetClass(),
  timestamp: utcTimestamp(
    "Open time of the candle's bucket (UTC); the bucket ends at timestamp + timeframe.",
  ),
  timeframe: Timeframe,
  open: exchangeDecimal("First price in the bucket, in the quote currency."),
  high: exchangeDecimal("Highest price in the bucket, in the quote currency."),
  low: exchangeDecimal("Lowest price in the bucket, in the quote currency."),
  close: exchangeDecimal("Last price in the bucket, in the quote currency."),
  volume: optionalDecimal(
    30,
    10,
    "Traded volume in the bucket, in the base asset; null when the provider gives none.",
  ),
  isFinal: z
    .boolean()
    .default(true)
    .meta({ sqlType: "BOOLEAN", description: "False while the bucket is still open." }),
  ...provenance,
  // Added in schema 2 after the provenance fields, so a table upgraded in place has the
  // columns in the order a new one has.
  tradeCount: count("Trades in the bucket, where the candle was built from trades.").optional(),
  filled: z.boolean().optional().meta({
    sqlType: "BOOLEAN",
    description: "True for a candle of a bucket without trades, carried forward from the last close.",
  }),
};

/**
 * An OHLCV candle. `timestamp` is the OPEN time of the bucket (the bucket covers
 * [timestamp, timestamp + timeframe)), whatever the provider stamps; adapters convert.
 * `isFinal` is false while the bucket is still open and its values may change.
 */
export const CryptoOHLCVSchema = z
  .object(ohlcvShape)
  .strict()
  .refine(hasCoinIdOrInstrument, NEEDS_COIN_OR_INSTRUMENT)
  .overwrite(instrumentFromCoinId(Object.keys(ohlcvShape)))
  .meta({
    id: "CryptoOHLCV",
    title: "OHLCV candle",
    description: "Open, high, low, close and volume of one bucket.",
  });

/** Market-wide figures at one time. */
export const CryptoMarketAnalyticsSchema = z
  .object({
    timestamp: utcTimestamp("When the figures were computed (UTC)."),
    totalMarketCap: decimal(30, 2, "Total market capitalisation in US dollars."),
    totalVolume: decimal(30, 2, "Total 24-hour volume in US dollars."),
    btcDominance: decimal(9, 6, "Bitcoin's share of the total market cap, in percent."),
    ethDominance: optionalDecimal(9, 6, "Ether's share of the total market cap, in percent."),
    activeCryptocurrencies: count("Number of active cryptocurrencies."),
    markets: count("Number of markets (exchanges)."),
    marketCapChange24h: decimal(12, 4, "Change of the total market cap over 24 hours, in percent."),
    ...provenance,
  })
  .strict()
  .meta({
    id: "CryptoMarketAnalytics",
    title: "Market analytics",
    description: "Market-wide figures at one time.",
  });

/** Where a record of an exchange's own market comes from: the venue and its instrument. */
const exchangeInstrument = {
  exchangeId: identifier(50, "Exchange id, e.g. `binance`, `coinbase`, `kraken`."),
  instrument: venueSymbol(instrumentDescription),
  base: baseCode(),
  quote: quoteCode(),
  coinId: coinIdWhereKnown(),
  assetClass: assetClass(),
};

/** The taker's side of a trade, where the exchange says it. */
export const TradeSide = z.enum(["buy", "sell"]).meta({
  sqlType: "VARCHAR(4)",
  description: "The taker's side (`buy` or `sell`); null where the exchange does not say.",
});

/** One trade on one exchange's market. */
export const CryptoTradeSchema = z
  .object({
    ...exchangeInstrument,
    tradeId: shortText(64, "The exchange's id of the trade, as text (`12345`, a UUID)."),
    price: exchangeDecimal("Price of the trade, in the quote currency."),
    amount: exchangeDecimal("Amount traded, in the base asset."),
    side: TradeSide.nullable().optional(),
    timestamp: utcTimestamp("When the trade happened, by the exchange's clock (UTC)."),
    receivedAt: utcTimestamp("When QiCore received it (UTC); the exchange's own delivery time is not kept."),
    ...provenance,
  })
  .strict()
  .meta({ id: "CryptoTrade", title: "Trade", description: "One trade on one exchange's market." });

/** The best bid and ask of one exchange's market at one time. */
export const CryptoQuoteSchema = z
  .object({
    ...exchangeInstrument,
    bidPrice: exchangeDecimal("Best bid price, in the quote currency."),
    bidSize: exchangeDecimal("Amount at the best bid, in the base asset.").nullable().optional(),
    askPrice: exchangeDecimal("Best ask price, in the quote currency."),
    askSize: exchangeDecimal("Amount at the best ask, in the base asset.").nullable().optional(),
    timestamp: utcTimestamp(
      "When the exchange stamped the quote (UTC), or when it was received where the exchange stamps none.",
    ),
    receivedAt: utcTimestamp("When QiCore received it (UTC)."),
    ...provenance,
  })
  .strict()
  .meta({
    id: "CryptoQuote",
    title: "Quote",
    description: "The best bid and ask of one market at one time.",
  });

/** A price as stored and sent: decimals as strings, times as ISO-8601 UTC strings. */
export type CryptoPrice = z.output<typeof CryptoPriceSchema>;
/** What a price may be built from: numbers or decimal strings, Date / ISO / epoch ms. */
export type CryptoPriceInput = z.input<typeof CryptoPriceSchema>;
export type CryptoOHLCV = z.output<typeof CryptoOHLCVSchema>;
export type CryptoOHLCVInput = z.input<typeof CryptoOHLCVSchema>;
export type CryptoMarketAnalytics = z.output<typeof CryptoMarketAnalyticsSchema>;
export type CryptoMarketAnalyticsInput = z.input<typeof CryptoMarketAnalyticsSchema>;
export type CryptoTrade = z.output<typeof CryptoTradeSchema>;
export type CryptoTradeInput = z.input<typeof CryptoTradeSchema>;
export type CryptoQuote = z.output<typeof CryptoQuoteSchema>;
export type CryptoQuoteInput = z.input<typeof CryptoQuoteSchema>;
