import { KNOWN_COIN_IDS } from "./coin-ids";

/** One market of an exchange: its own symbol and the normalised codes of what it trades. */
export interface Instrument {
  /** The exchange's own symbol, as its streams spell it (`BTCUSDT`, `BTC-USD`, `BTC/USD`). */
  symbol: string;
  base: string;
  quote: string;
  /** CoinGecko id of the base asset, where known or configured. */
  coinId?: string;
}

/** Adds the CoinGecko id of the base asset: the configured one, else a known one, else none. */
export function withCoinId(
  instrument: Omit<Instrument, "coinId">,
  configured: Readonly<Record<string, string>>,
): Instrument {
  const coinId = configured[instrument.base] ?? KNOWN_COIN_IDS[instrument.base];
  return coinId ? { ...instrument, coinId } : { ...instrument };
}

/** `BTC-USD` / `BTC/USD` → BTC and USD; undefined when the symbol has no such separator. */
export function splitSymbol(
  symbol: string,
  separator: "-" | "/",
): { base: string; quote: string } | undefined {
  const parts = symbol.split(separator);
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { base: parts[0].toUpperCase(), quote: parts[1].toUpperCase() };
}
