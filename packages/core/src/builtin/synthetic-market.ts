/**
 * Deterministic market data: every value is a pure function of (seed, coin, tick),
 * so the same seed gives the same records and a source can resume at any record
 * index without replaying the ones before it.
 */

export interface CoinProfile {
  coinId: string;
  symbol: string;
  basePrice: number;
  supply: number;
}

const KNOWN: Record<string, { symbol: string; basePrice: number; supply: number }> = {
  bitcoin: { symbol: "BTC", basePrice: 67_000, supply: 19_700_000 },
  ethereum: { symbol: "ETH", basePrice: 3_500, supply: 120_000_000 },
  solana: { symbol: "SOL", basePrice: 150, supply: 460_000_000 },
  cardano: { symbol: "ADA", basePrice: 0.45, supply: 35_000_000_000 },
  dogecoin: { symbol: "DOGE", basePrice: 0.15, supply: 144_000_000_000 },
  "usd-coin": { symbol: "USDC", basePrice: 1, supply: 33_000_000_000 },
};

export function coinProfile(coinId: string, seed: number): CoinProfile {
  const known = KNOWN[coinId];
  if (known) return { coinId, ...known };
  const unit = unitNoise(seed, hashText(coinId), 0);
  return {
    coinId,
    symbol:
      coinId
        .replace(/[^a-z0-9]/g, "")
        .slice(0, 5)
        .toUpperCase() || "COIN",
    basePrice: Number((10 ** (unit * 6 - 2)).toPrecision(6)),
    supply: Math.round(1e6 + unit * 1e10),
  };
}

/** 32-bit FNV-1a of a string. */
export function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A uniform number in [0, 1) from three integers (a murmur3-style finaliser). */
export function unitNoise(seed: number, salt: number, tick: number): number {
  let value = (seed ^ Math.imul(salt, 0x9e3779b1) ^ Math.imul(tick, 0x85ebca6b)) >>> 0;
  value ^= value >>> 16;
  value = Math.imul(value, 0x7feb352d);
  value ^= value >>> 15;
  value = Math.imul(value, 0x846ca68b);
  value ^= value >>> 16;
  return (value >>> 0) / 4_294_967_296;
}

/**
 * Price of a coin at a tick: slow waves plus small noise around the base price.
 * Stateless, so record N is the same whether or not records 0..N-1 were made.
 */
export function priceAt(profile: CoinProfile, salt: number, seed: number, tick: number): number {
  const phase = (salt % 1000) / 159.155; // a different phase per coin
  const wave = 0.04 * Math.sin(tick / 240 + phase) + 0.015 * Math.sin(tick / 37 + 2 * phase);
  const noise = (unitNoise(seed, salt, tick) - 0.5) * 0.004;
  return profile.basePrice * (1 + wave + noise);
}

const POWERS_OF_TEN = Array.from({ length: 16 }, (_, exponent) => 10 ** exponent);

/**
 * Fixed-point text with the given decimals, trailing zeros trimmed ("67012.5", not
 * "67012.50000000"). Works on integers (value × 10^decimals) while they stay exact,
 * which is several times faster than toFixed; falls back to toFixed beyond that.
 */
export function decimalText(value: number, decimals: number): string {
  const scale = POWERS_OF_TEN[decimals] as number;
  let scaled = Math.round(Math.abs(value) * scale);
  if (!Number.isSafeInteger(scaled)) return trimZeros(value.toFixed(decimals));
  const sign = value < 0 && scaled !== 0 ? "-" : "";
  const whole = Math.floor(scaled / scale);
  scaled -= whole * scale;
  if (scaled === 0) return `${sign}${whole}`;
  let digits = decimals;
  while (scaled % 10 === 0) {
    scaled /= 10;
    digits--;
  }
  return `${sign}${whole}.${String(scaled).padStart(digits, "0")}`;
}

function trimZeros(text: string): string {
  if (!text.includes(".")) return text;
  let end = text.length;
  while (text.charCodeAt(end - 1) === 48 /* 0 */) end--;
  if (text.charCodeAt(end - 1) === 46 /* . */) end--;
  return text.slice(0, end);
}
