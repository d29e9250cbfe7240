/**
 * CoinGecko ids of widely traded base assets, so exchange records join CoinGecko's without
 * configuration. A pipeline's `coinIds` adds to and overrides these.
 */
export const KNOWN_COIN_IDS: Readonly<Record<string, string>> = {
  BTC: "bitcoin",
  XBT: "bitcoin",
  ETH: "ethereum",
  USDT: "tether",
  USDC: "usd-coin",
  BNB: "binancecoin",
  SOL: "solana",
  XRP: "ripple",
  ADA: "cardano",
  DOGE: "dogecoin",
  XDG: "dogecoin",
  TRX: "tron",
  DOT: "polkadot",
  LTC: "litecoin",
  LINK: "chainlink",
  AVAX: "avalanche-2",
  MATIC: "matic-network",
  POL: "polygon-ecosystem-token",
  BCH: "bitcoin-cash",
  XLM: "stellar",
  ATOM: "cosmos",
  UNI: "uniswap",
  SHIB: "shiba-inu",
  DAI: "dai",
};
