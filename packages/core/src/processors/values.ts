import type { MarketRecord, RecordKind } from "../dsl/kinds";

/** The price a record gives and when: a price's usdPrice, a candle's close, a trade's price. */
export function pricePoint(
  kind: RecordKind,
  record: MarketRecord,
): { value: string; time: number } | undefined {
  const value = record as unknown as Record<string, string | undefined>;
  if (kind === "price" && value.usdPrice)
    return { value: value.usdPrice, time: Date.parse(value.lastUpdated as string) };
  if (kind === "ohlcv" && value.close)
    return { value: value.close, time: Date.parse(value.timestamp as string) };
  if (kind === "trade" && value.price)
    return { value: value.price, time: Date.parse(value.timestamp as string) };
  return undefined;
}

/** What the same asset is called across venues: `BTC/USD` (base and quote), else the coin or instrument. */
export function assetKey(record: MarketRecord): string {
  const value = record as unknown as Record<string, string | undefined>;
  if (value.base && value.quote) return `${value.base}/${value.quote}`;
  return `${value.coinId ?? value.instrument}/${value.quote ?? "USD"}`;
}
