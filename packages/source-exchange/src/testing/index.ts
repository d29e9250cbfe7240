/**
 * Test helpers: local stand-ins for Binance, Coinbase and Kraken (WebSocket and REST on one
 * port, documented message shapes, the exchanges' limits, injectable faults) and the
 * deterministic market they play.
 */
export type { Dialect, StandInMarket } from "./dialect";
export { type MarketCandle, MarketSeries, type MarketTrade } from "./market";
export {
  type ExchangeStandIn,
  type StandInExchange,
  type StandInFault,
  type StandInOptions,
  startExchangeStandIn,
} from "./stand-in";
