import type { CryptoPriceInput, Logger } from "@qicore/core/adapter";
import { type Call, type CoinGeckoApi, IDS_PER_REQUEST } from "./api";
import { pricesFromMarkets, pricesFromSimplePrice } from "./mappers";
import type { CoinsMarketsResponse } from "./responses";
import type { WarnOnce } from "./warn-once";

/**
 * The coins this source has met: their symbols (prices carry them, and only /coins/markets
 * tells them) and the ids CoinGecko does not know, so neither is asked for twice.
 */
export class CoinDirectory {
  private readonly symbols = new Map<string, string>();
  private readonly unknownCoins = new Set<string>();

  constructor(
    private readonly api: CoinGeckoApi,
    private readonly logger: Logger,
    private readonly warnings: WarnOnce,
  ) {}

  /** Learns the symbols of rows /coins/markets returned. */
  learn(rows: CoinsMarketsResponse): void {
    for (const row of rows) this.symbols.set(row.id, row.symbol);
  }

  /** /coins/markets for up to 250 listed coins; learns their symbols and which ids CoinGecko does not know. */
  async markets(coins: readonly string[], call: Call): Promise<CoinsMarketsResponse> {
    const { data: rows } = await this.api.coinsMarkets({ ids: coins }, call);
    this.learn(rows);
    const missing = coins.filter((coin) => !this.symbols.has(coin));
    for (const coin of missing) this.unknownCoins.add(coin);
    if (missing.length > 0) {
      this.logger.warn(
        "CoinGecko does not know these coin ids; they are skipped (API ids are listed by /coins/list)",
        { coins: missing },
      );
    }
    return rows.filter((row) => coins.includes(row.id));
  }

  /** Symbols of `coins`, asking /coins/markets for those not known yet. */
  async symbolsOf(coins: readonly string[], call: Call): Promise<ReadonlyMap<string, string>> {
    const unknown = coins.filter((coin) => !this.symbols.has(coin) && !this.unknownCoins.has(coin));
    for (const chunk of chunked(unknown, IDS_PER_REQUEST)) await this.markets(chunk, call);
    return this.symbols;
  }

  /**
   * Prices of listed coins, at most 250 a request. Coins whose symbol is not known yet
   * (the first refresh) come from /coins/markets, which has symbols; later refreshes use
   * /simple/price, CoinGecko's freshest price endpoint. Either way a refresh of N coins
   * costs ceil(N / 250) requests.
   */
  async *listedPrices(
    coins: readonly string[],
    call: Call,
  ): AsyncGenerator<{ records: CryptoPriceInput[]; endpoint: string; count: number }> {
    const wanted = coins.filter((coin) => !this.unknownCoins.has(coin));
    const unknownSymbol = wanted.filter((coin) => !this.symbols.has(coin));
    for (const chunk of chunked(unknownSymbol, IDS_PER_REQUEST)) {
      const rows = await this.markets(chunk, call);
      yield { records: pricesFromMarkets(rows).records, endpoint: "/coins/markets", count: chunk.length };
    }
    const fetched = new Set(unknownSymbol);
    const known = wanted.filter((coin) => this.symbols.has(coin) && !fetched.has(coin));
    for (const chunk of chunked(known, IDS_PER_REQUEST)) {
      const { path, data: prices } = await this.api.simplePrice(chunk, call);
      const inChunk = Object.fromEntries(
        chunk.flatMap((coin) => (prices[coin] ? [[coin, prices[coin]]] : [])),
      );
      const { records, incomplete } = pricesFromSimplePrice(inChunk, this.symbols);
      this.warnings.warn(
        "simple-price-incomplete",
        incomplete,
        "CoinGecko returned no USD price or no last_updated_at for these coins; skipped",
      );
      yield { records, endpoint: path, count: chunk.length };
    }
  }
}

function chunked<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let index = 0; index < items.length; index += size) chunks.push(items.slice(index, index + size));
  return chunks;
}
