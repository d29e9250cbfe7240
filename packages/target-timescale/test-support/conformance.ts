import type { MarketRecord, RecordKind, TargetHandlers } from "@qicore/core";
import { testTarget } from "@qicore/core/testing";
import { type TimescaleTarget, timescaleTarget } from "../src/index";

const EVER = [new Date("2000-01-01T00:00:00Z"), new Date("2100-01-01T00:00:00Z")] as const;
const COINS = ["bitcoin", "ethereum", "solana"];
// The sample trades and quotes are of these instruments (one exchange's markets).
const INSTRUMENTS = ["BTC-USD", "ETH-USD", "SOL-USD"];

function withoutNulls(record: object): MarketRecord {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== null)) as MarketRecord;
}

/** Everything of a kind the sample records can hold, read back through the target's own reader. */
async function readBack(kind: RecordKind, handlers: TargetHandlers): Promise<MarketRecord[]> {
  const { reader } = handlers as TimescaleTarget;
  const rows: object[] = [];
  if (kind === "trade" || kind === "quote") {
    for (const instrument of INSTRUMENTS) {
      const result =
        kind === "trade"
          ? await reader.getTrades(instrument, ...EVER)
          : await reader.getQuotes(instrument, ...EVER);
      if (!result.ok) throw result.error;
      rows.push(...result.value);
    }
    return rows.map(withoutNulls);
  }
  for (const coin of kind === "analytics" ? [] : COINS) {
    const result =
      kind === "price"
        ? await reader.getPriceHistory(coin, ...EVER)
        : await reader.getLatestOHLCV(coin, "1m", 10_000);
    if (!result.ok) throw result.error;
    rows.push(...result.value);
  }
  if (kind === "analytics") {
    const result = await reader.getMarketAnalytics(...EVER);
    if (!result.ok) throw result.error;
    rows.push(...result.value);
  }
  return rows.map(withoutNulls);
}

/** The core's conformance suite for the `timescale` target, on the database `config` names. */
export function timescaleConformance(
  config: () => Promise<Record<string, unknown>> | Record<string, unknown>,
): void {
  testTarget({ adapter: timescaleTarget, config, readBack });
}
