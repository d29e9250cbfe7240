/**
 * What each built-in processor does with records it acts on (the conformance suite checks the
 * contract; these check the results).
 */
import { describe, expect, it } from "vitest";
import type { ProcessorHandlers, RecordBatch } from "../adapters/processor-types";
import type { ProcessorDefinition } from "../adapters/types";
import type { MarketRecord } from "../dsl/kinds";
import { contextFor } from "../testing/conformance-context";
import { consolidateProcessor } from "./consolidate";
import { dedupeProcessor } from "./dedupe";
import { compileExpression } from "./expression";
import { filterProcessor, selectProcessor } from "./filter";
import { quarantineProcessor } from "./quarantine";
import { resampleProcessor } from "./resample";

let pipelines = 0;

// biome-ignore lint/suspicious/noExplicitAny: processors of any config type.
async function make(definition: ProcessorDefinition<any>, config: unknown, pipeline?: string, id = "source") {
  return definition.create(definition.configSchema.parse(config), {
    ...contextFor(id),
    pipelineName: pipeline ?? `built-ins-${++pipelines}`,
  }) as Promise<ProcessorHandlers> | ProcessorHandlers;
}

const records = (output: { batches?: readonly RecordBatch[] }) =>
  (output.batches ?? []).flatMap((batch) => batch.records) as unknown as Record<string, unknown>[];

const minute = (index: number) => new Date(Date.UTC(2026, 0, 1, 0, index)).toISOString();

const candle = (index: number, open: string, high: string, low: string, close: string, isFinal = true) =>
  ({
    exchangeId: "binance",
    instrument: "BTCUSDT",
    base: "BTC",
    quote: "USDT",
    assetClass: "crypto",
    timestamp: minute(index),
    timeframe: "1m",
    open,
    high,
    low,
    close,
    volume: "0.1",
    tradeCount: 2,
    isFinal,
    source: "binance",
    attribution: "Binance",
  }) as unknown as MarketRecord;

const price = (
  coinId: string,
  usdPrice: string,
  lastUpdated: string,
  exchangeId = "aggregate",
  volume24h = "1000",
) =>
  ({
    coinId,
    symbol: coinId.slice(0, 3).toUpperCase(),
    exchangeId,
    instrument: coinId,
    quote: "USD",
    assetClass: "crypto",
    usdPrice,
    volume24h,
    lastUpdated,
    source: exchangeId,
    attribution: exchangeId,
  }) as unknown as MarketRecord;

describe("expression", () => {
  it("compares numbers exactly as decimals, strings as text, and combines with && || ! ()", () => {
    const matches = compileExpression('usdPrice >= 0.1 && (exchangeId == "binance" || !isFinal)');
    expect(matches({ usdPrice: "0.10", exchangeId: "binance" })).toBe(true);
    expect(matches({ usdPrice: "0.09999999999999999999", exchangeId: "binance" })).toBe(false);
    expect(matches({ usdPrice: "5", exchangeId: "kraken", isFinal: false })).toBe(true);
    expect(matches({ usdPrice: "5", exchangeId: "kraken", isFinal: true })).toBe(false);
    expect(compileExpression('timestamp < "2026-01-01T00:01:00.000Z"')({ timestamp: minute(0) })).toBe(true);
  });

  it("says what is wrong and where", () => {
    expect(() => compileExpression("usdPrice > ")).toThrow(`expected a value after ">" at 10`);
    expect(() => compileExpression('exchangeId == "binance')).toThrow("unterminated string at 15");
  });
});

describe("filter and select", () => {
  const input: RecordBatch = {
    kind: "price",
    records: [
      price("bitcoin", "100", minute(0)),
      price("ethereum", "10", minute(0)),
      price("solana", "1", minute(0)),
    ],
  };

  it("filter drops what matches and counts it; select keeps only what matches", async () => {
    const dropped = await (await make(filterProcessor, { coins: ["bitcoin", "solana"] })).process(input, 1);
    expect(records(dropped).map((record) => record.coinId)).toEqual(["ethereum"]);
    expect(dropped.dropped).toBe(2);
    const kept = await (await make(selectProcessor, { where: "usdPrice > 5" })).process(input, 1);
    expect(records(kept).map((record) => record.coinId)).toEqual(["bitcoin", "ethereum"]);
    expect(kept.dropped).toBe(1);
  });
});

describe("resample", () => {
  it("builds a 5m candle from five final 1m candles, exactly, and leaves open input out", async () => {
    const resample = await make(resampleProcessor, { widths: ["5m"] });
    const input = [
      candle(0, "100", "101.5", "99.25", "101"),
      candle(1, "101", "103", "100", "102"),
      candle(2, "102", "102.5", "98.125", "99"),
      candle(3, "99", "100", "97", "98", false),
      candle(3, "99", "100", "96", "97"),
      candle(4, "97", "99", "96.5", "98.75"),
    ];
    const output = await resample.process({ kind: "ohlcv", records: input }, 1);
    expect(records(output)).toEqual([
      expect.objectContaining({
        timeframe: "5m",
        timestamp: minute(0),
        open: "100",
        high: "103",
        low: "96",
        close: "98.75",
        volume: "0.5",
        tradeCount: 10,
        isFinal: true,
      }),
    ]);
  });
});

describe("resample of monthly candles", () => {
  it("passes calendar months (1mo) on as they are: they have no fixed width to bucket", async () => {
    const resample = await make(resampleProcessor, { widths: ["1w"] });
    const month = {
      ...(candle(0, "100", "110", "90", "105") as unknown as Record<string, unknown>),
      timeframe: "1mo",
    } as unknown as MarketRecord;
    const output = await resample.process({ kind: "ohlcv", records: [month] }, 1);
    expect(records(output)).toEqual([month]);
  });
});

describe("quarantine", () => {
  it("sends a price far from the instrument's recent median to dead letters, with the reason", async () => {
    const quarantine = await make(quarantineProcessor, { maxJump: 0.1, minSamples: 3 });
    const prices = ["100", "101", "99", "100.5", "150", "100.25"].map((value, index) =>
      price("bitcoin", value, minute(index)),
    );
    const output = await quarantine.process({ kind: "price", records: prices }, 1);
    expect(records(output).map((record) => record.usdPrice)).toEqual(["100", "101", "99", "100.5", "100.25"]);
    expect(output.rejected?.map((rejection) => rejection.error.message)).toEqual([
      expect.stringContaining("150 is"),
    ]);
  });

  it("compares with the same coin on the pipeline's other sources", async () => {
    const pipeline = `quarantine-across-${Date.now()}`;
    const config = { maxJump: 0.1, minSamples: 100, across: {} };
    const first = await make(quarantineProcessor, config, pipeline, "coingecko");
    const second = await make(quarantineProcessor, config, pipeline, "kraken");
    await first.process({ kind: "price", records: [price("bitcoin", "100", minute(0))] }, 1);
    const output = await second.process(
      { kind: "price", records: [price("bitcoin", "130", minute(0), "kraken")] },
      1,
    );
    expect(records(output)).toEqual([]);
    expect(output.rejected?.[0]?.error.message).toContain("130");
  });
});

describe("consolidate", () => {
  it("gives one price per coin: the median of the sources' latest, naming those it used", async () => {
    const pipeline = `consolidate-${Date.now()}`;
    const a = await make(consolidateProcessor, {}, pipeline, "a");
    const b = await make(consolidateProcessor, {}, pipeline, "b");
    const c = await make(consolidateProcessor, {}, pipeline, "c");
    await a.process({ kind: "price", records: [price("bitcoin", "100", minute(1), "coingecko")] }, 1);
    await b.process({ kind: "price", records: [price("bitcoin", "104", minute(1), "kraken")] }, 1);
    const output = await c.process(
      { kind: "price", records: [price("bitcoin", "101", minute(1), "binance")] },
      1,
    );
    const [consolidated] = records(output);
    expect(consolidated).toMatchObject({ coinId: "bitcoin", exchangeId: "aggregate", usdPrice: "101" });
    expect(String(consolidated?.source)).toMatch(/binance.*coingecko.*kraken|coingecko.*kraken/);
  });

  it("weights by 24-hour volume and leaves out inputs older than maxAge", async () => {
    const pipeline = `consolidate-weighted-${Date.now()}`;
    const config = { method: "volume-weighted", maxAge: "2m" };
    const stale = await make(consolidateProcessor, config, pipeline, "stale");
    const a = await make(consolidateProcessor, config, pipeline, "a");
    const b = await make(consolidateProcessor, config, pipeline, "b");
    await stale.process(
      { kind: "price", records: [price("bitcoin", "500", minute(0), "old", "1000000")] },
      1,
    );
    await a.process({ kind: "price", records: [price("bitcoin", "100", minute(10), "x", "3")] }, 1);
    const output = await b.process(
      { kind: "price", records: [price("bitcoin", "200", minute(10), "y", "1")] },
      1,
    );
    expect(records(output)[0]?.usdPrice).toBe("125");
  });
});

describe("dedupe", () => {
  it("drops records whose key it saw among its last keys, and forgets beyond them", async () => {
    const dedupe = await make(dedupeProcessor, { keys: 2 });
    const [one, two, three] = [0, 1, 2].map((index) => price("bitcoin", "1", minute(index)));
    const first = await dedupe.process({ kind: "price", records: [one, two, one] as MarketRecord[] }, 1);
    expect(records(first)).toHaveLength(2);
    expect(first.dropped).toBe(1);
    const second = await dedupe.process({ kind: "price", records: [three, one] as MarketRecord[] }, 2);
    // The window holds two keys: after `three`, `one` is forgotten and passes again.
    expect(records(second)).toHaveLength(2);
  });
});
