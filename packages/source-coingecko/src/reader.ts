import type {
  CryptoMarketAnalyticsInput,
  CryptoOHLCVInput,
  CryptoPriceInput,
  HealthStatus,
  Logger,
  OHLCVQuery,
  ReadOptions,
  SourceBatch,
  TimeRange,
} from "@qicore/core/adapter";
import { CoinGeckoApi } from "./api";
import type { Clock } from "./clock";
import { CoinDirectory } from "./coins";
import type { CoinGeckoConfig } from "./config";
import { coinGeckoHealth, connectCoinGecko } from "./connection";
import type { CoinGeckoHttpClient } from "./http-client";
import type { CoinGeckoPlan } from "./plans";
import type { BackfillProgress } from "./progress";
import { CoinGeckoQueries } from "./queries";
import { CoinGeckoStreams } from "./streams";
import { WarnOnce } from "./warn-once";

export interface ReaderParts {
  config: CoinGeckoConfig;
  plan: CoinGeckoPlan;
  http: CoinGeckoHttpClient;
  clock: Clock;
  logger: Logger;
  progress: BackfillProgress;
}

/**
 * Reads CoinGecko for one source instance. Its parts share one API client (and so one rate
 * budget) and one coin directory (symbols are asked for once): the streams of `read()`
 * (streams.ts), the reader DSL (queries.ts) and the connection checks (connection.ts).
 */
export class CoinGeckoReader {
  private readonly streams: CoinGeckoStreams;
  private readonly queries: CoinGeckoQueries;
  private readonly connection: Parameters<typeof connectCoinGecko>[0];

  constructor(parts: ReaderParts) {
    const { config, plan, clock, logger, progress } = parts;
    const api = new CoinGeckoApi(parts.http);
    const warnings = new WarnOnce(logger);
    const coins = new CoinDirectory(api, logger, warnings);
    this.streams = new CoinGeckoStreams({ config, api, coins, clock, logger, progress, warnings });
    this.queries = new CoinGeckoQueries({ api, coins, plan, clock });
    this.connection = { api, plan, logger };
  }

  read(options: ReadOptions): AsyncGenerator<SourceBatch> {
    return this.streams.read(options);
  }

  getCurrentPrices(coinIds: readonly string[]): Promise<CryptoPriceInput[]> {
    return this.queries.getCurrentPrices(coinIds);
  }

  getMarketAnalytics(): Promise<CryptoMarketAnalyticsInput> {
    return this.queries.getMarketAnalytics();
  }

  getPriceHistory(coinId: string, range: TimeRange): Promise<CryptoPriceInput[]> {
    return this.queries.getPriceHistory(coinId, range);
  }

  getOHLCV(coinId: string, query: OHLCVQuery): Promise<CryptoOHLCVInput[]> {
    return this.queries.getOHLCV(coinId, query);
  }

  connect(signal?: AbortSignal): Promise<void> {
    return connectCoinGecko(this.connection, signal);
  }

  healthCheck(): Promise<HealthStatus> {
    return coinGeckoHealth(this.connection);
  }
}
