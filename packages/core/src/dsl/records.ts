import { z } from "zod";
import { count, decimal, identifier, longText, shortText, utcTimestamp } from "./primitives";

/** Exchange id used for prices aggregated across exchanges (CoinGecko's, for example). */
export const AGGREGATE_EXCHANGE = "aggregate";

const provenance = {
  source: shortText(100, "Name of the system the record came from, e.g. `coingecko`."),
  attribution: longText("Attribution text the data provider requires, e.g. `Data provided by CoinGecko`."),
};

const optionalDecimal = (precision: number, scale: number, description: string) =>
  decimal(precision, scale, description).nullable().optional();

/** A spot price of one coin, on one exchange or aggregated across exchanges. */
export const CryptoPriceSchema = z
  .object({
    coinId: identifier(50, "Coin id, e.g. `bitcoin`."),
    symbol: shortText(20, "Ticker symbol, e.g. `BTC`."),
    exchangeId: identifier(50, "Exchange id, or `aggregate` for a cross-exchange price.").default(
      AGGREGATE_EXCHANGE,
    ),
    usdPrice: decimal(20, 8, "Price in US dollars."),
    btcPrice: optionalDecimal(30, 18, "Price in bitcoin."),
    marketCap: optionalDecimal(30, 2, "Market capitalisation in US dollars."),
    volume24h: optionalDecimal(30, 2, "Traded volume over the last 24 hours in US dollars."),
    change24h: optionalDecimal(12, 4, "Price change over 24 hours, in percent."),
    change7d: optionalDecimal(12, 4, "Price change over 7 days, in percent."),
    lastUpdated: utcTimestamp("When the provider last updated this price (UTC)."),
    ...provenance,
  })
  .strict()
  .meta({ id: "CryptoPrice", title: "Crypto price", description: "A spot price of one coin at one time." });

/** Width of a candle: a number and a unit (m, h, d, w), e.g. `1m`, `4h`, `1d`. */
export const Timeframe = z
  .string()
  .regex(/^[1-9]\d{0,3}(m|h|d|w)$/, "a width such as 1m, 5m, 1h, 4h, 1d or 1w")
  .meta({ sqlType: "VARCHAR(10)", description: "Candle width, e.g. `1h`." });

/**
 * An OHLCV candle. `timestamp` is the OPEN time of the bucket (the bucket covers
 * [timestamp, timestamp + timeframe)), whatever the provider stamps; adapters convert.
 * `isFinal` is false while the bucket is still open and its values may change.
 */
export const CryptoOHLCVSchema = z
  .object({
    coinId: identifier(50, "Coin id, e.g. `bitcoin`."),
    exchangeId: identifier(50, "Exchange id, or `aggregate`.").default(AGGREGATE_EXCHANGE),
    timestamp: utcTimestamp(
      "Open time of the candle's bucket (UTC); the bucket ends at timestamp + timeframe.",
    ),
    timeframe: Timeframe,
    open: decimal(20, 8, "First price in the bucket, US dollars."),
    high: decimal(20, 8, "Highest price in the bucket, US dollars."),
    low: decimal(20, 8, "Lowest price in the bucket, US dollars."),
    close: decimal(20, 8, "Last price in the bucket, US dollars."),
    volume: optionalDecimal(30, 10, "Traded volume in the bucket; null when the provider gives none."),
    isFinal: z
      .boolean()
      .default(true)
      .meta({ sqlType: "BOOLEAN", description: "False while the bucket is still open." }),
    ...provenance,
  })
  .strict()
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

/** A price as stored and sent: decimals as strings, times as ISO-8601 UTC strings. */
export type CryptoPrice = z.output<typeof CryptoPriceSchema>;
/** What a price may be built from: numbers or decimal strings, Date / ISO / epoch ms. */
export type CryptoPriceInput = z.input<typeof CryptoPriceSchema>;
export type CryptoOHLCV = z.output<typeof CryptoOHLCVSchema>;
export type CryptoOHLCVInput = z.input<typeof CryptoOHLCVSchema>;
export type CryptoMarketAnalytics = z.output<typeof CryptoMarketAnalyticsSchema>;
export type CryptoMarketAnalyticsInput = z.input<typeof CryptoMarketAnalyticsSchema>;
