import { createRegistry, Pipeline } from "@qicore/core";
import { MemoryStateStore, silentLogger } from "@qicore/core/testing";
import { redpandaSource } from "@qicore/source-redpanda";
import { redpandaTarget } from "@qicore/target-redpanda";
import { timescaleTarget } from "@qicore/target-timescale";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireKafkaBrokers, requireTimescaleUrl } from "../../../test/services";
import { until } from "../test-support/harness";
import { createExchangeSource } from "./source";
import { type ExchangeStandIn, startExchangeStandIn } from "./testing/stand-in";

// Binance stand-in → exchange source → Kafka (target-redpanda) → source-redpanda →
// TimescaleDB (target-timescale), on the services machine's real Kafka and TimescaleDB, with a
// dropped connection on the way: the trade table ends up with the stand-in's full series,
// decimals exact, each trade once, and the closed candles.

/** The adapter with trade and quote among its kinds (the tables exist since schema version 5). */

const run = Date.now().toString(36);
const schema = `exchange_e2e_${run}`;
const prefix = `test.exchange.${run}.`;
let standIn: ExchangeStandIn;
let publish: Pipeline;
let ingest: Pipeline;
let database: pg.Client;

async function started(config: Parameters<typeof Pipeline.fromConfig>[0]): Promise<Pipeline> {
  const registry = createRegistry(createExchangeSource(), redpandaTarget, redpandaSource, timescaleTarget);
  const loaded = await Pipeline.fromConfig(config, {
    registry,
    logger: silentLogger,
    stateStore: new MemoryStateStore(),
  });
  if (!loaded.ok) throw loaded.error;
  const result = await loaded.value.start();
  if (!result.ok) throw result.error;
  return loaded.value;
}

beforeAll(async () => {
  const brokers = requireKafkaBrokers();
  const timescaleUrl = requireTimescaleUrl();
  standIn = await startExchangeStandIn({ exchange: "binance", tradesPerSecond: 0 });
  // The publishing pipeline creates the topics the ingesting one reads.
  publish = await started({
    name: "exchange-e2e-publish",
    sources: [
      {
        id: "binance",
        type: "exchange",
        config: {
          exchange: "binance",
          symbols: ["BTCUSDT"],
          channels: ["trades", "candles"],
          intervals: ["1m"],
          websocketUrl: standIn.websocketUrl,
          restUrl: standIn.restUrl,
          reconnect: { initialDelay: "20ms", maxDelay: "200ms" },
        },
      },
    ],
    targets: [
      {
        id: "kafka",
        type: "redpanda",
        config: { brokers, topicPrefix: prefix, partitions: 3, replicationFactor: 1 },
      },
    ],
    delivery: { batch: { maxRecords: 500, maxWait: "10ms" } },
  });
  ingest = await started({
    name: "exchange-e2e-ingest",
    sources: [
      {
        id: "kafka",
        type: "redpanda",
        config: {
          brokers,
          topics: { trade: `${prefix}crypto-trades`, ohlcv: `${prefix}crypto-ohlcv` },
          groupId: `exchange-e2e-${run}`,
          maxWaitTimeMs: 100,
        },
      },
    ],
    targets: [{ id: "db", type: "timescale", config: { connectionString: timescaleUrl, schema } }],
    delivery: { batch: { maxRecords: 500, maxWait: "20ms" } },
  });
  database = new pg.Client({ connectionString: timescaleUrl });
  await database.connect();
}, 120_000);

afterAll(async () => {
  await publish?.destroy();
  await ingest?.destroy();
  await standIn?.close();
  await database?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await database?.end();
});

const count = async (sql: string) => Number((await database.query(sql)).rows[0]?.n ?? 0);

describe("Binance stand-in → Kafka → TimescaleDB", () => {
  it("stores the full trade series once, exact, and the closed candles, across a dropped connection", {
    timeout: 120_000,
  }, async () => {
    await until(() => standIn.subscriptions() >= 2, "the source subscribed", 60_000);
    const market = standIn.markets[0];
    standIn.advance(150);
    await until(() => standIn.stats.open > 0, "connected");
    standIn.inject({ kind: "drop" });
    standIn.advance(100);
    await until(
      () => standIn.stats.connections >= 2 && standIn.stats.open > 0 && standIn.subscriptions() >= 2,
      "the source subscribed again",
      60_000,
    );
    standIn.advance(100);
    const position = standIn.position(market?.symbol as string);
    const trades = `SELECT count(*)::int AS n FROM "${schema}".crypto_trades WHERE trade_id::int <= ${position}`;
    let ticks = 0;
    await until(
      () => {
        // A live trade now and then is what shows the gap to the source.
        if (++ticks % 20 === 0) {
          standIn.advance(1);
          void count(trades).then((n) => (stored = n));
        }
        return stored >= position;
      },
      "every trade reached TimescaleDB",
      60_000,
    );
    const rows = await database.query<{ trade_id: string; price: string; amount: string }>(
      `SELECT trade_id, price::text AS price, amount::text AS amount FROM "${schema}".crypto_trades
        WHERE trade_id::int <= $1 ORDER BY trade_id::int`,
      [position],
    );
    expect(rows.rows.map((row) => Number(row.trade_id))).toEqual(
      Array.from({ length: position }, (_, index) => index + 1),
    );
    for (const row of rows.rows) {
      const expected = market?.series.trade(Number(row.trade_id));
      // NUMERIC(30,12) pads the fraction; the value is the exchange's, digit for digit.
      expect(row.price.replace(/0+$/, "")).toBe(expected?.price.replace(/0+$/, ""));
      expect(row.amount.replace(/0+$/, "")).toBe(expected?.amount.replace(/0+$/, ""));
    }
    const candles = await count(
      `SELECT count(*)::int AS n FROM "${schema}".crypto_ohlcv WHERE exchange_id = 'binance' AND is_final AND timeframe = '1m'`,
    );
    // 350 one-second trades cover five closed minutes at least.
    expect(candles).toBeGreaterThanOrEqual(4);
    expect(publish.health().live && ingest.health().live).toBe(true);
  });
});

let stored = 0;
