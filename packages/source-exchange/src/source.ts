import {
  ADAPTER_CONTRACT_VERSION,
  type AdapterContext,
  defineSource,
  type SourceDefinition,
  type SourceHandlers,
} from "@qicore/core/adapter";
import { type Clock, systemClock } from "./clock";
import { type ExchangeConfig, exchangeConfigSchema } from "./config";
import { configError } from "./errors";
import { BinanceProtocol } from "./exchanges/binance";
import { CoinbaseProtocol } from "./exchanges/coinbase";
import { KrakenProtocol } from "./exchanges/kraken";
import type { ExchangeProtocol } from "./exchanges/protocol";
import { ExchangeReader } from "./reader";
import { RecordFactory } from "./records";
import { RestClient } from "./rest-client";
import { WeightBudget } from "./weight-budget";

/** Parts a test, a benchmark or an embedding application may replace. */
export interface ExchangeSourceOptions {
  /** Time for records' receive times and for REST budgets (the conformance test freezes it). */
  clock?: Clock;
  fetch?: typeof fetch;
  /** Called with each reader created, to read its counters (benchmarks, tests). */
  onReader?: (reader: ExchangeReader) => void;
  /**
   * False: every Binance frame goes through JSON.parse, none through the trade scanner
   * (binance-trade-scan.ts). Tests run both ways to show they give the same records and errors.
   */
  scanTrades?: boolean;
}

const ATTRIBUTION = {
  binance: "Data from Binance",
  coinbase: "Data from Coinbase",
  kraken: "Data from Kraken",
};

function protocolFor(config: ExchangeConfig, clock: Clock, scanTrades: boolean): ExchangeProtocol {
  const factory = new RecordFactory({
    exchangeId: config.exchange,
    source: config.exchange,
    attribution: ATTRIBUTION[config.exchange],
  });
  if (config.exchange === "binance")
    return new BinanceProtocol(factory, clock, config.binanceTrades, scanTrades);
  if (config.exchange === "coinbase") return new CoinbaseProtocol(factory, clock);
  return new KrakenProtocol(factory, clock);
}

/** Settings that only make sense for some exchanges, refused with what to write instead. */
function configProblems(config: ExchangeConfig): string[] {
  const problems: string[] = [];
  if (
    config.exchange === "coinbase" &&
    config.channels.includes("candles") &&
    config.intervals.some((interval) => interval !== "5m")
  )
    problems.push("Coinbase's candles channel streams five-minute candles only: set intervals: [5m]");
  if (config.exchange !== "binance" && config.binanceTrades !== "trade")
    problems.push("binanceTrades applies to Binance only");
  return problems;
}

/**
 * Builds the exchange source definition. The package registers `exchangeSource`, made with
 * the defaults; call this for one with a test clock or a custom fetch.
 */
export function createExchangeSource(options: ExchangeSourceOptions = {}): SourceDefinition<ExchangeConfig> {
  return defineSource({
    name: "exchange",
    description:
      "Live trades, quotes and candles from Binance spot, Coinbase Advanced Trade or Kraken v2 over WebSocket; gaps closed over REST.",
    contractVersion: ADAPTER_CONTRACT_VERSION,
    coreVersion: "^0.1.0",
    configSchema: exchangeConfigSchema,
    // Records are built per frame (records.ts), in canonical form, and let go of at once.
    capabilities: { kinds: ["trade", "quote", "ohlcv"], replay: true, freshRecords: true },
    create: (config, context) => createHandlers(config, context, options),
  });
}

/** The source `type: exchange` names in pipeline files. */
export const exchangeSource: SourceDefinition<ExchangeConfig> = createExchangeSource();

function createHandlers(
  config: ExchangeConfig,
  context: AdapterContext,
  options: ExchangeSourceOptions,
): SourceHandlers {
  const problems = configProblems(config);
  if (problems.length > 0) throw configError(problems.join("; "), { source: context.id });
  const clock = options.clock ?? systemClock;
  const protocol = protocolFor(config, clock, options.scanTrades ?? true);
  const rest = new RestClient({
    exchange: config.exchange,
    baseUrl: config.restUrl ?? protocol.defaults.restUrl,
    budget: new WeightBudget(config.restWeightPerMinute ?? protocol.defaults.restWeightPerMinute, clock),
    clock,
    signal: context.signal,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const reader = new ExchangeReader(config, protocol, rest, context, clock);
  options.onReader?.(reader);
  return {
    connect: () => reader.connect(),
    healthCheck: () => reader.healthCheck(),
    read: (readOptions) => reader.read(readOptions),
    getCurrentPrices: (coinIds) => reader.getCurrentPrices(coinIds),
    getOHLCV: (coinId, query) => reader.getOHLCV(coinId, query),
  };
}
