import type { TradeWatermark } from "./exchanges/protocol";

/**
 * Where each stream stands, as committed: the last trade emitted per trade stream and the
 * open time of the last final candle per candle stream. A WebSocket cannot replay, so after
 * a restart the source fetches what came after these over REST before going live.
 */
export interface ExchangeCheckpoint {
  v: 1;
  trades: Record<string, TradeWatermark>;
  candles: Record<string, number>;
}

export function readCheckpoint(value: unknown): ExchangeCheckpoint | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const candidate = value as Partial<ExchangeCheckpoint>;
  if (candidate.v !== 1 || typeof candidate.trades !== "object" || typeof candidate.candles !== "object")
    return undefined;
  return candidate as ExchangeCheckpoint;
}
