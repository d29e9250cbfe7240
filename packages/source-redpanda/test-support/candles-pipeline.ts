import type pg from "pg";

export interface CandlesPipelineOptions {
  name: string;
  brokers: string;
  topic: string;
  groupId: string;
  databaseUrl: string;
  schema: string;
  deadLetterPath: string;
}

/**
 * The pipeline the crash tests run, as a user writes it: Kafka trades → `candles` (1m and 5m,
 * 2 s allowed lateness) → TimescaleDB, checkpoints in the database beside the candles.
 */
export function candlesPipelineYaml(options: CandlesPipelineOptions): string {
  return `# Written by the candles crash test.
name: ${options.name}
sources:
  - id: kafka
    type: redpanda
    config:
      brokers: "${options.brokers}"
      topics: { trade: "${options.topic}" }
      groupId: "${options.groupId}"
      startFrom: earliest
      # Small fetches (about a hundred trades each): the run takes long enough for a kill to
      # find it mid-topic, and holds many batches when it comes.
      maxBytesPerPartition: 16384
      maxBytes: 32768
      maxBufferedRecords: 500
      # A killed member leaves the group only when its session times out: the restarted run
      # gets the partitions after at most this long (6 s is the brokers' smallest).
      sessionTimeoutMs: 6000
      heartbeatIntervalMs: 1000
targets:
  - id: db
    type: timescale
    config:
      connectionString: "${options.databaseUrl}"
      schema: ${options.schema}
routes:
  - from: kafka
    to: [db]
    kinds: [trade]
    processors:
      - type: candles
        config: { widths: [1m, 5m], allowedLateness: 2s }
delivery:
  batch: { maxRecords: 200, maxWait: 20ms }
  deadLetter: { path: "${options.deadLetterPath}" }
state: { store: target, target: db }
logging: { level: info, format: json }
`;
}

/** Candles in a schema's table; 0 before the first process has created it. */
export async function candleCount(database: pg.Client, schema: string): Promise<number> {
  try {
    const result = await database.query(`SELECT count(*)::int AS n FROM ${schema}.crypto_ohlcv`);
    return result.rows[0].n as number;
  } catch {
    return 0;
  }
}

/** Whether the run saved a checkpoint of its source (a restart then resumes from inside the topic). */
export async function hasCheckpoint(database: pg.Client, schema: string): Promise<boolean> {
  try {
    const result = await database.query(
      `SELECT 1 FROM ${schema}.qicore_state WHERE source_id = 'kafka' AND checkpoint IS NOT NULL`,
    );
    return (result.rowCount ?? 0) > 0;
  } catch {
    return false;
  }
}

/** Whether the candle of a market, width and bucket start is in a schema's table. */
export async function hasCandle(
  database: pg.Client,
  schema: string,
  candle: { instrument: string; timeframe: string; timestamp: string },
): Promise<boolean> {
  try {
    const result = await database.query(
      `SELECT 1 FROM ${schema}.crypto_ohlcv WHERE instrument = $1 AND timeframe = $2 AND "timestamp" = $3`,
      [candle.instrument, candle.timeframe, candle.timestamp],
    );
    return (result.rowCount ?? 0) > 0;
  } catch {
    return false;
  }
}

/**
 * Rows that are in one schema's candles and not in the other's, both ways, comparing every
 * column (`SELECT *`: keys, open, high, low, close, volume, trade count, isFinal, filled,
 * provenance): empty when the two runs wrote exactly the same candles.
 */
export async function candleDifferences(
  database: pg.Client,
  schema: string,
  reference: string,
): Promise<Record<string, unknown>[]> {
  const result = await database.query(
    `(SELECT 'only in ${schema}' AS side, * FROM (SELECT * FROM ${schema}.crypto_ohlcv EXCEPT SELECT * FROM ${reference}.crypto_ohlcv) a)
     UNION ALL
     (SELECT 'only in ${reference}' AS side, * FROM (SELECT * FROM ${reference}.crypto_ohlcv EXCEPT SELECT * FROM ${schema}.crypto_ohlcv) b)
     ORDER BY instrument, timeframe, "timestamp", side`,
  );
  return result.rows as Record<string, unknown>[];
}

/** The candle table's columns, to show the comparison covers the ones that matter. */
export async function candleColumns(database: pg.Client, schema: string): Promise<string[]> {
  const result = await database.query(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'crypto_ohlcv' ORDER BY ordinal_position`,
    [schema],
  );
  return result.rows.map((row) => row.column_name as string);
}
