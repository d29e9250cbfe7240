/**
 * What the config names (a Twelve Data symbol, with the exchange or MIC that makes it unique
 * where one symbol trades on several markets) and what records say about it: its asset class,
 * its base and quote codes, and the CoinGecko id of a crypto base where known.
 */

export interface InstrumentInput {
  symbol: string;
  exchange?: string | undefined;
  micCode?: string | undefined;
  assetClass?: string | undefined;
  currency?: string | undefined;
  coinId?: string | undefined;
}

export interface Instrument {
  /** Twelve Data's symbol, as records carry it (`AAPL`, `EUR/USD`, `BTC/USD`). */
  symbol: string;
  exchange: string | undefined;
  micCode: string | undefined;
  assetClass: string;
  /** Normalised base code where it can be told from the symbol (`EUR` of EUR/USD, `AAPL`). */
  base: string | undefined;
  /** The pair's quote code, or the configured currency of a stock; else learned from the first answer. */
  quote: string | undefined;
  coinId: string | undefined;
  /** Unique per configured instrument: symbol, exchange and MIC. Names it in checkpoints. */
  key: string;
}

/** ISO 4217 codes of currencies Twelve Data quotes as forex pairs (a pair of two is forex, not crypto). */
const FIAT = new Set(
  "USD EUR JPY GBP CHF CAD AUD NZD SEK NOK DKK PLN CZK HUF RON BGN TRY ZAR MXN BRL ARS CLP COP PEN CNY CNH HKD SGD TWD KRW INR IDR MYR PHP THB VND ILS SAR AED QAR KWD BHD OMR EGP NGN KES RUB UAH KZT PKR".split(
    " ",
  ),
);
const METALS = new Set(["XAU", "XAG", "XPT", "XPD"]);

/** CoinGecko ids of widely traded crypto bases, so Twelve Data's pairs join CoinGecko's records. */
const KNOWN_COIN_IDS: Readonly<Record<string, string>> = {
  BTC: "bitcoin",
  ETH: "ethereum",
  USDT: "tether",
  USDC: "usd-coin",
  BNB: "binancecoin",
  SOL: "solana",
  XRP: "ripple",
  ADA: "cardano",
  DOGE: "dogecoin",
  TRX: "tron",
  DOT: "polkadot",
  LTC: "litecoin",
  LINK: "chainlink",
  AVAX: "avalanche-2",
  BCH: "bitcoin-cash",
  XLM: "stellar",
  ATOM: "cosmos",
  UNI: "uniswap",
};

const CODE = /^[A-Z0-9][A-Z0-9._-]{0,19}$/;

export function toInstrument(input: InstrumentInput): Instrument {
  const symbol = input.symbol.trim();
  const pair = splitPair(symbol);
  const assetClass = input.assetClass ?? guessAssetClass(pair);
  const base = pair?.base ?? (CODE.test(symbol) ? symbol : undefined);
  const quote = pair?.quote ?? normaliseCode(input.currency);
  const coinId =
    input.coinId ?? (assetClass === "crypto" && pair ? KNOWN_COIN_IDS[pair.base] : undefined) ?? undefined;
  const exchange = input.exchange?.trim() || undefined;
  const micCode = input.micCode?.trim().toUpperCase() || undefined;
  return {
    symbol,
    exchange,
    micCode,
    assetClass,
    base,
    quote,
    coinId,
    key: [symbol, exchange ? `:${exchange}` : "", micCode ? `@${micCode}` : ""].join(""),
  };
}

function splitPair(symbol: string): { base: string; quote: string } | undefined {
  const parts = symbol.split("/");
  if (parts.length !== 2) return undefined;
  const [base, quote] = parts.map((part) => part.trim().toUpperCase()) as [string, string];
  if (!CODE.test(base) || !CODE.test(quote)) return undefined;
  return { base, quote };
}

function guessAssetClass(pair: { base: string; quote: string } | undefined): string {
  if (!pair) return "equity";
  if (METALS.has(pair.base)) return "commodity";
  if (FIAT.has(pair.base) && FIAT.has(pair.quote)) return "forex";
  return "crypto";
}

/**
 * Minor units Twelve Data writes in mixed case: London's pence (`GBp`) and Johannesburg's cents
 * (`ZAc`). Upper-cased they would say pounds and rand for prices in pence and cents, so they
 * become the codes markets use for them.
 */
const MINOR_UNITS: Readonly<Record<string, string>> = { GBp: "GBX", ZAc: "ZAX" };

function normaliseCode(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  const code = trimmed === undefined ? undefined : (MINOR_UNITS[trimmed] ?? trimmed.toUpperCase());
  return code && CODE.test(code) ? code : undefined;
}

/** `NASDAQ` → `nasdaq`, `Coinbase Pro` → `coinbase-pro`: an exchange name as the core's exchange id. */
export function exchangeIdOf(name: string): string | undefined {
  const id = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[^a-z0-9]+|-+$/g, "")
    .slice(0, 50);
  return id || undefined;
}

/** What Twelve Data's answers tell about an instrument, kept so every record of a series says the same. */
export interface LearnedIdentity {
  exchangeId: string;
  quote: string;
  /** IANA zone of the exchange's wall clock in time series (`America/New_York`); UTC for pairs. */
  timeZone?: string;
}

/** What an answer says about where and in what currency an instrument traded. */
export interface AnswerFacts {
  micCode?: string | null | undefined;
  exchange?: string | null | undefined;
  currency?: string | null | undefined;
  timeZone?: string | null | undefined;
}

/**
 * The identity records carry: the venue as exchange id, as exchange records name theirs
 * (`binance`): the config's MIC where given, else the first answer's MIC (so `AAPL` and
 * `{ symbol: AAPL, exchange: NASDAQ }` are both `xnas`: one venue, one id), else the configured
 * or answered exchange name (crypto: `coinbase-pro`), else `aggregate` (forex: Twelve Data names
 * no venue). Once learned it is kept, so a series never changes its key. Quote from the pair,
 * the config, or the first answer's currency.
 */
export function identityFrom(
  instrument: Instrument,
  known: LearnedIdentity | undefined,
  facts: AnswerFacts,
): LearnedIdentity | undefined {
  const exchangeId =
    known?.exchangeId ??
    (instrument.micCode ? instrument.micCode.toLowerCase() : undefined) ??
    (facts.micCode ? facts.micCode.toLowerCase() : undefined) ??
    (instrument.exchange ? exchangeIdOf(instrument.exchange) : undefined) ??
    (facts.exchange ? exchangeIdOf(facts.exchange) : undefined) ??
    "aggregate";
  const quote = known?.quote ?? instrument.quote ?? normaliseCode(facts.currency);
  if (!quote) return undefined;
  const timeZone = known?.timeZone ?? facts.timeZone ?? undefined;
  return timeZone ? { exchangeId, quote, timeZone } : { exchangeId, quote };
}
