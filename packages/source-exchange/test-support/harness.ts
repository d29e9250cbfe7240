import {
  ADAPTER_CONTRACT_VERSION,
  type CryptoOHLCV,
  type CryptoTrade,
  createRegistry,
  defineTarget,
  type MarketRecord,
  Pipeline,
  type RecordKind,
  type StateStore,
} from "@qicore/core";
import { MemoryStateStore, silentLogger } from "@qicore/core/testing";
import { z } from "zod";
import type { ExchangeConfigInput } from "../src/config";
import type { ExchangeReader } from "../src/reader";
import { createExchangeSource } from "../src/source";
import type { ExchangeStandIn } from "../src/testing/stand-in";

/** Every record the pipeline wrote, replays included, by kind. */
export type Written = Record<RecordKind, MarketRecord[]>;

const collectors = new Map<string, Written>();

/** A target that keeps every record it is given, so duplicates stay visible. */
const collectTarget = defineTarget({
  name: "collect",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema: z.object({ name: z.string() }).strict() as z.ZodType<{ name: string }>,
  capabilities: { kinds: ["trade", "quote", "ohlcv"], idempotent: true },
  create: (config) => ({
    async write(kind, records) {
      collectors.get(config.name)?.[kind].push(...records);
    },
  }),
});

let runs = 0;

export interface StandInRun {
  pipeline: Pipeline;
  written: Written;
  reader: () => ExchangeReader;
  stop(): Promise<void>;
}

/** A pipeline from the stand-in through the exchange source into a collecting target. */
export async function startRun(
  standIn: ExchangeStandIn,
  config: Partial<ExchangeConfigInput>,
  stateStore: StateStore = new MemoryStateStore(),
): Promise<StandInRun> {
  const name = `run-${++runs}`;
  const written: Written = { price: [], ohlcv: [], analytics: [], trade: [], quote: [] };
  collectors.set(name, written);
  let reader: ExchangeReader | undefined;
  const source = createExchangeSource({ onReader: (created) => (reader = created) });
  const loaded = await Pipeline.fromConfig(
    {
      name: "exchange-test",
      sources: [
        {
          id: "exchange",
          type: "exchange",
          config: {
            exchange: standIn.exchange,
            symbols: standIn.markets.map((market) => market.symbol),
            websocketUrl: standIn.websocketUrl,
            restUrl: standIn.restUrl,
            reconnect: { initialDelay: "20ms", maxDelay: "200ms" },
            ...config,
          },
        },
      ],
      targets: [{ id: "sink", type: "collect", config: { name } }],
      delivery: {
        batch: { maxRecords: 5_000, maxWait: "5ms" },
        retry: { initialDelay: "20ms", maxDelay: "200ms" },
      },
    },
    { registry: createRegistry(source, collectTarget), logger: silentLogger, stateStore },
  );
  if (!loaded.ok) throw loaded.error;
  const pipeline = loaded.value;
  const started = await pipeline.start();
  if (!started.ok) throw started.error;
  return {
    pipeline,
    written,
    reader: () => {
      if (!reader) throw new Error("the source has not been created");
      return reader;
    },
    async stop() {
      await pipeline.stop();
      await pipeline.destroy();
      collectors.delete(name);
    },
  };
}

/** Waits until `condition` holds; fails with `what` if it does not within `timeoutMs` (a deadline, not a measurement). */
export async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The trade ids written for a market, in the order written. */
export function tradeIds(written: Written, symbol: string): number[] {
  return (written.trade as CryptoTrade[])
    .filter((trade) => trade.instrument === symbol)
    .map((trade) => Number(trade.tradeId));
}

/** Asserts the written trades are the stand-in's full series 1..position, once each, exactly. */
export function fullSeriesProblems(written: Written, standIn: ExchangeStandIn, upTo?: number): string[] {
  const problems: string[] = [];
  for (const market of standIn.markets) {
    const position = upTo ?? standIn.position(market.symbol);
    const trades = (written.trade as CryptoTrade[]).filter((trade) => trade.instrument === market.symbol);
    const ids = trades.map((trade) => Number(trade.tradeId));
    const unique = new Set(ids);
    if (unique.size !== ids.length) problems.push(`${market.symbol}: ${ids.length - unique.size} duplicates`);
    const missing: number[] = [];
    for (let id = 1; id <= position; id++) if (!unique.has(id)) missing.push(id);
    if (missing.length > 0)
      problems.push(`${market.symbol}: missing ${missing.length} (${missing.slice(0, 5).join(", ")}...)`);
    for (const trade of trades) {
      const expected = market.series.trade(Number(trade.tradeId));
      if (trade.price !== expected.price || trade.amount !== expected.amount || trade.side !== expected.side)
        problems.push(
          `${market.symbol} ${trade.tradeId}: ${trade.price} ${trade.amount} ${trade.side} instead of ${expected.price} ${expected.amount} ${expected.side}`,
        );
    }
  }
  return problems;
}

/** Final candles written for a stream, by open time; duplicates reported. */
export function finalCandles(
  written: Written,
  symbol: string,
  timeframe: string,
): { byOpen: Map<number, CryptoOHLCV>; duplicates: number } {
  const byOpen = new Map<number, CryptoOHLCV>();
  let duplicates = 0;
  for (const candle of written.ohlcv as CryptoOHLCV[]) {
    if (candle.instrument !== symbol || candle.timeframe !== timeframe || !candle.isFinal) continue;
    const open = Date.parse(candle.timestamp);
    if (byOpen.has(open)) duplicates++;
    byOpen.set(open, candle);
  }
  return { byOpen, duplicates };
}
