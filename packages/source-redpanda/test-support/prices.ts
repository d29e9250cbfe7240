import { type CryptoPrice, validateRecord } from "@qicore/core";

/**
 * `count` distinct prices (50 coins, one second apart per coin), in the canonical form (the
 * core's schema fills what the inputs leave out, as it does for the source's output).
 * Decimals carry up to eight fractional digits so precision loss shows.
 */
export function distinctPrices(count: number, startMs = Date.UTC(2024, 0, 1)): CryptoPrice[] {
  const prices: CryptoPrice[] = [];
  for (let index = 0; index < count; index++) {
    const coin = index % 50;
    const step = Math.floor(index / 50);
    const cents = 1_000_000 + ((index * 7919) % 9_000_000);
    prices.push({
      coinId: `coin-${coin}`,
      symbol: `C${coin}`,
      exchangeId: "aggregate",
      usdPrice:
        `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}${String(index % 1_000_000).padStart(6, "0")}`
          .replace(/0+$/, "")
          .replace(/\.$/, ""),
      btcPrice: null,
      marketCap: null,
      volume24h: null,
      change24h: null,
      change7d: null,
      lastUpdated: new Date(startMs + step * 1000).toISOString(),
      source: "test",
      attribution: "test",
    } as CryptoPrice);
  }
  return prices.map((input) => {
    const validated = validateRecord("price", input);
    if (!validated.ok) throw validated.error;
    return validated.value;
  });
}
