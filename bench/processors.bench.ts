/**
 * `pnpm bench processors`: trades through the `candles` processor (1m, 5m and 1h candles of
 * 1,000 instruments) beside the same trades through the runtime with no processor, in the same
 * run, alternating, five rounds each; the medians are compared. Peak RSS shows the candle
 * state stays per open bucket.
 */
import { z } from "zod";
import { defineSource } from "../packages/core/src/adapters/define";
import { ADAPTER_CONTRACT_VERSION, type SourceBatch } from "../packages/core/src/adapters/types";
import type { MarketRecord } from "../packages/core/src/dsl/kinds";
import { createRegistry } from "../packages/core/src/registry/registry";
import { silentLogger } from "../packages/core/src/runtime/logger";
import { Pipeline } from "../packages/core/src/runtime/pipeline";
import { MemoryStateStore } from "../packages/core/src/runtime/state-store";
import { type Benchmark, type BenchResult, peakRssMb, progress, result } from "./lib";

const INSTRUMENTS = 1000;
/** Event-time seconds; each second is one batch holding a trade of every instrument. */
const SECONDS = Number(process.env.QICORE_BENCH_SECONDS ?? 2000);
const TRADES = INSTRUMENTS * SECONDS;
const WIDTHS = [
  ["1m", 60],
  ["5m", 300],
  ["1h", 3600],
] as const;
// Five, not three: on a shared machine one slow round of either side must not decide the ratio.
const ROUNDS = 5;
const START = Date.UTC(2026, 0, 1);

const instruments = Array.from({ length: INSTRUMENTS }, (_, index) => ({
  instrument: `C${index}USDT`,
  base: `C${index}`,
}));
const times = Array.from({ length: SECONDS }, (_, second) => new Date(START + second * 1000).toISOString());
const prices = Array.from({ length: 64 }, (_, index) => (100 + index * 0.25).toFixed(2));

/** Trades made as they are read, one fixed object shape, so both variants pay the same small cost. */
const tradesSource = defineSource({
  name: "bench-trades",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema: z.object({}),
  capabilities: { kinds: ["trade"], trusted: true, ack: true },
  create: () => ({
    async *read(): AsyncIterable<SourceBatch> {
      for (let second = 0; second < SECONDS; second++) {
        const timestamp = times[second] as string;
        const records = new Array<MarketRecord>(INSTRUMENTS);
        for (let index = 0; index < INSTRUMENTS; index++) {
          const { instrument, base } = instruments[index] as { instrument: string; base: string };
          records[index] = {
            exchangeId: "binance",
            instrument,
            base,
            quote: "USDT",
            tradeId: `${second}`,
            price: prices[(second + index) % prices.length] as string,
            amount: "0.5",
            side: "buy",
            timestamp,
            receivedAt: timestamp,
            source: "bench",
            attribution: "bench",
          } as unknown as MarketRecord;
        }
        yield { kind: "trade", records, checkpoint: second + 1 };
      }
    },
  }),
});

const expectedCandles = WIDTHS.reduce(
  (total, [, seconds]) => total + Math.ceil(SECONDS / seconds) * INSTRUMENTS,
  0,
);

async function tradesPerSecond(withCandles: boolean): Promise<number> {
  const loaded = await Pipeline.fromConfig(
    {
      name: "processors-bench",
      sources: [{ id: "trades", type: "bench-trades" }],
      targets: [
        { id: "out", type: "memory", config: { store: `processors-bench-${withCandles}`, keep: false } },
      ],
      routes: [
        {
          from: "trades",
          to: ["out"],
          kinds: ["trade"],
          ...(withCandles
            ? { processors: [{ type: "candles", config: { widths: WIDTHS.map(([width]) => width) } }] }
            : {}),
        },
      ],
      delivery: { batch: { maxRecords: 1000, maxWait: "50ms" }, maxInFlightRecords: 20_000 },
    },
    { registry: createRegistry(tradesSource), logger: silentLogger, stateStore: new MemoryStateStore() },
  );
  if (!loaded.ok) throw loaded.error;
  const pipeline = loaded.value;
  const started = performance.now();
  const summary = await pipeline.run();
  const seconds = (performance.now() - started) / 1000;
  await pipeline.destroy();
  if (summary.error) throw summary.error;
  const expected = withCandles ? expectedCandles : TRADES;
  if (summary.recordsOut.out !== expected)
    throw new Error(
      `${withCandles ? "candles" : "trades"} written: ${summary.recordsOut.out}, expected ${expected}`,
    );
  return TRADES / seconds;
}

const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const spread = (values: readonly number[]) => ({
  min: Math.round(Math.min(...values)),
  max: Math.round(Math.max(...values)),
});

export const benchmark: Benchmark = {
  name: "processors",
  description: `${TRADES.toLocaleString("en-US")} trades of ${INSTRUMENTS.toLocaleString("en-US")} instruments into 1m, 5m and 1h candles, beside the runtime with no processor`,
  async run(): Promise<BenchResult> {
    progress("warm-up");
    await tradesPerSecond(false);
    await tradesPerSecond(true);
    const alone: number[] = [];
    const candles: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      progress(`round ${round}/${ROUNDS}: runtime alone`);
      alone.push(await tradesPerSecond(false));
      progress(`round ${round}/${ROUNDS}: with candles (1m, 5m, 1h)`);
      candles.push(await tradesPerSecond(true));
    }
    return result(
      "processors",
      "trades/s",
      median(candles),
      { name: "the runtime with no processor", value: median(alone) },
      {
        trades: TRADES,
        instruments: INSTRUMENTS,
        widths: WIDTHS.map(([width]) => width),
        candlesWritten: expectedCandles,
        rounds: ROUNDS,
        candlesTradesPerSecond: candles.map(Math.round),
        aloneTradesPerSecond: alone.map(Math.round),
        candlesSpread: spread(candles),
        aloneSpread: spread(alone),
        peakRssMbAtEnd: peakRssMb(),
      },
    );
  },
};
