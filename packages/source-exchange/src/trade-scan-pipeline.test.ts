import {
  type CryptoTrade,
  createRegistry,
  type DeadLetter,
  memoryStore,
  memoryTarget,
  Pipeline,
} from "@qicore/core";
import { MemoryStateStore, silentLogger } from "@qicore/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type FrameServer, startFrameServer } from "../test-support/frame-server";
import { until } from "../test-support/harness";
import type { ExchangeReader } from "./reader";
import { createExchangeSource } from "./source";

// The trade scanner (binance-trade-scan.ts) takes well-formed frames whatever their values,
// so invalid values reach the runtime's validation through it: the records written, the
// dead letters and their errors must be those of the JSON.parse path, frame for frame.

const trade = (id: number, price: string, quantity = '"0.5"') =>
  `{"stream":"btcusdt@trade","data":{"e":"trade","E":1767225600000,"s":"BTCUSDT","t":${id},"p":${price},"q":${quantity},"T":${1767225600000 + id},"m":true,"M":true}}`;

const FRAMES = [
  trade(1, '"60000.10"'),
  // Scanned (well-formed), refused by the trade schema.
  trade(2, '"abc"'),
  trade(3, '"1234567890123456789.5"'),
  trade(4, '"60000.10"', '""'),
  trade(5, '"-"'),
  // Not JSON: dropped by the source and counted, not dead-lettered.
  trade(6, '"60000.10"').slice(0, 90),
  // Not scanned (a number, an escape): JSON.parse's values, then the schema's verdict (it
  // takes a number price and writes it as decimal text).
  trade(6, "60000.5"),
  trade(7, '"6000\\u0031.5"'),
  trade(8, '"60000.10"'),
];

let server: FrameServer | undefined;
let pipeline: Pipeline | undefined;

afterEach(async () => {
  await pipeline?.stop();
  await pipeline?.destroy();
  await server?.close();
  pipeline = undefined;
  server = undefined;
});

/** The frames through the source and the runtime into a memory target that keeps dead letters. */
async function run(scanTrades: boolean) {
  server = await startFrameServer("BTCUSDT", "BTC", "USDT", FRAMES);
  const store = `trade-scan-${scanTrades}-${Date.now()}`;
  let reader: ExchangeReader | undefined;
  const source = createExchangeSource({ scanTrades, onReader: (created) => (reader = created) });
  const loaded = await Pipeline.fromConfig(
    {
      name: "trade-scan",
      sources: [
        {
          id: "binance",
          type: "exchange",
          config: {
            exchange: "binance",
            symbols: ["BTCUSDT"],
            websocketUrl: server.websocketUrl,
            restUrl: server.restUrl,
            gapFill: false,
          },
        },
      ],
      targets: [
        { id: "memory", type: "memory", config: { store } },
        { id: "letters", type: "memory", config: { store: `${store}-letters` } },
      ],
      routes: [{ from: "binance", to: ["memory"] }],
      delivery: { batch: { maxRecords: 100, maxWait: "5ms" }, deadLetter: { target: "letters" } },
    },
    {
      registry: createRegistry(source, memoryTarget),
      logger: silentLogger,
      stateStore: new MemoryStateStore(),
    },
  );
  if (!loaded.ok) throw loaded.error;
  pipeline = loaded.value;
  const started = await pipeline.start();
  if (!started.ok) throw started.error;
  const written = memoryStore(store);
  const deadLetters = memoryStore(`${store}-letters`).deadLetters;
  await until(() => (reader?.stats().frames ?? 0) >= FRAMES.length + 1, "every frame was read");
  await until(
    () => written.size("trade") + deadLetters.length >= 8,
    "every trade was written or dead-lettered",
  );
  // The receive time and the failure time differ between runs; everything else must not.
  const trades = (written.list("trade") as CryptoTrade[]).map(({ receivedAt, ...rest }) => rest);
  const letters = deadLetters.map(({ failedAt, record, ...rest }: DeadLetter) => {
    const { receivedAt, ...fields } = record as CryptoTrade;
    return { ...rest, record: fields };
  });
  const malformed = reader?.stats().malformedFrames;
  await pipeline.stop();
  return { trades, letters, malformed };
}

describe("Binance trade scanner in the pipeline", () => {
  it("writes and dead-letters what the JSON.parse path does, with the same errors", async () => {
    const scanned = await run(true);
    await pipeline?.destroy();
    await server?.close();
    pipeline = undefined;
    server = undefined;
    const parsed = await run(false);
    expect(scanned).toEqual(parsed);
    expect(scanned.trades.map((record) => [record.tradeId, record.price])).toEqual([
      ["1", "60000.10"],
      ["6", "60000.5"],
      ["7", "60001.5"],
      ["8", "60000.10"],
    ]);
    expect(scanned.letters.map((letter) => [letter.record.tradeId, letter.reason.code])).toEqual([
      ["2", "VALIDATION_FAILED"],
      ["3", "VALIDATION_FAILED"],
      ["4", "VALIDATION_FAILED"],
      ["5", "VALIDATION_FAILED"],
    ]);
    expect(scanned.letters[0]?.reason.message).toMatch(/^invalid trade record: price: /);
    expect(scanned.letters[2]?.reason.message).toMatch(/^invalid trade record: amount: /);
    expect(scanned.malformed).toBe(1);
  });
});
