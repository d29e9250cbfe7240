import {
  AGGREGATE_EXCHANGE,
  type AsyncResult,
  type CryptoMarketAnalytics,
  type CryptoOHLCV,
  type CryptoPrice,
  type CryptoQuote,
  type CryptoTrade,
  err,
  type HealthStatus,
  ok,
  type QiError,
  qiError,
  RECORD_KIND_DEFINITIONS,
  type RecordKind,
  type TableModel,
  Timeframe,
  tableModel,
} from "@qicore/core/adapter";
import { type Database, qualifiedName, quoteIdentifier } from "./database";
import { describeEdition, detectEdition, type Edition, type TimescaleMode } from "./edition";
import { ADAPTER_NAME, databaseError } from "./errors";
import { CANDLE_VIEWS, candleViewName } from "./migrations";
import type {
  Candle,
  CompressionStats,
  HypertableInfo,
  InstrumentFilter,
  QueryLimit,
  TimescaleReader,
} from "./types";

export interface ReaderSettings {
  schema: string;
  maxRows: number;
  timescale: TimescaleMode;
}

const TIMEFRAME = /^([1-9]\d{0,3})(m|h|d|w)$/;
const TIMEFRAME_UNITS: Record<string, string> = { m: "minutes", h: "hours", d: "days", w: "weeks" };
// time_bucket's default origin (a Monday at midnight UTC); date_bin is given the same one.
const BUCKET_ORIGIN = "2000-01-03T00:00:00Z";

/** `"100.50000000"` → `"100.5"`: NUMERIC(p,s) pads to its scale, the records do not. */
export function trimDecimal(text: string): string {
  if (!text.includes(".")) return text;
  const trimmed = text.replace(/0+$/, "").replace(/\.$/, "");
  return trimmed === "-0" ? "0" : trimmed;
}

const isoText = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

interface KindQuery {
  model: TableModel;
  table: string;
  /** Select list giving every column under its field name, decimals and times as text. */
  selectList: string;
  column(field: string): string;
  toRecord(row: Record<string, unknown>): unknown;
}

/** Fields of a kind that may be absent but not null: a NULL column means the field was left out. */
function fieldsWithoutNull(kind: RecordKind): Set<string> {
  const shape = (
    RECORD_KIND_DEFINITIONS[kind].schema as unknown as {
      shape: Record<string, { safeParse(value: unknown): { success: boolean } }>;
    }
  ).shape;
  return new Set(
    Object.entries(shape)
      .filter(([, field]) => !field.safeParse(null).success && field.safeParse(undefined).success)
      .map(([name]) => name),
  );
}

function kindQuery(kind: RecordKind, schema: string): KindQuery {
  const model = tableModel(kind);
  const column = (field: string) => {
    const found = model.columns.find((candidate) => candidate.field === field);
    if (!found) throw new Error(`${kind} records have no field ${field}`);
    return quoteIdentifier(found.column);
  };
  const selectList = model.columns
    .map((entry) => {
      const name = quoteIdentifier(entry.column);
      const alias = `"${entry.field}"`;
      if (entry.valueType === "decimal") return `${name}::text AS ${alias}`;
      if (entry.valueType === "timestamp") return `${isoText(name)} AS ${alias}`;
      return `${name} AS ${alias}`;
    })
    .join(", ");
  const omitWhenNull = fieldsWithoutNull(kind);
  const toRecord = (row: Record<string, unknown>) => {
    const record: Record<string, unknown> = {};
    for (const entry of model.columns) {
      const value = row[entry.field];
      if (value === null || value === undefined) {
        // An optional field that cannot be null (a candle's coin id or base) is left out, as in the record written.
        if (!omitWhenNull.has(entry.field)) record[entry.field] = null;
      } else if (entry.valueType === "decimal") record[entry.field] = trimDecimal(String(value));
      else if (entry.valueType === "integer") record[entry.field] = Number(value);
      else record[entry.field] = value;
    }
    return record;
  };
  return { model, table: qualifiedName(schema, model.table), selectList, column, toRecord };
}

function invalid(message: string, context: Record<string, unknown>): QiError {
  return qiError("VALIDATION_FAILED", `${ADAPTER_NAME} reader: ${message}`, { context });
}

function checkRange(start: Date, end: Date): QiError | undefined {
  if (!(start instanceof Date) || Number.isNaN(start.getTime()))
    return invalid("start is not a valid date", { start });
  if (!(end instanceof Date) || Number.isNaN(end.getTime()))
    return invalid("end is not a valid date", { end });
  if (start.getTime() > end.getTime()) {
    return invalid(`start (${start.toISOString()}) is after end (${end.toISOString()})`, {});
  }
  return undefined;
}

function checkText(name: string, value: unknown): QiError | undefined {
  return typeof value === "string" && value.length > 0 && value.length <= 100
    ? undefined
    : invalid(`${name} must be a non-empty string of at most 100 characters`, { [name]: value });
}

/**
 * A stored candle's width is any the records take (`1m` … `1w`, `1mo`): reading stored
 * candles only compares it, so months are fine there, unlike in time_bucket widths.
 */
function checkStoredTimeframe(timeframe: unknown): QiError | undefined {
  return Timeframe.safeParse(timeframe).success
    ? undefined
    : invalid(`timeframe ${JSON.stringify(timeframe)} is not a candle width such as 1m, 1h, 1d, 1w or 1mo`, {
        timeframe,
      });
}

/** `4h` → `4 hours`; undefined when not a width such as 1m, 15m, 1h, 4h, 1d, 1w. */
export function timeframeInterval(timeframe: string): string | undefined {
  const match = TIMEFRAME.exec(timeframe);
  if (!match) return undefined;
  return `${match[1]} ${TIMEFRAME_UNITS[match[2] as string]}`;
}

/** The reader over an open database. */
export function createReader(database: Database, settings: ReaderSettings): TimescaleReader {
  const { schema } = settings;
  const prices = kindQuery("price", schema);
  const candles = kindQuery("ohlcv", schema);
  const analytics = kindQuery("analytics", schema);
  const trades = kindQuery("trade", schema);
  const quotes = kindQuery("quote", schema);
  let edition: Promise<Edition> | undefined;
  const limitOf = (requested: number | undefined) => {
    if (requested === undefined) return settings.maxRows;
    return Math.max(1, Math.min(Math.floor(requested), settings.maxRows));
  };

  const detect = (): Promise<Edition> => {
    edition ??= database
      .withSession((session) => detectEdition(session, settings.timescale, false))
      .catch((thrown) => {
        edition = undefined;
        throw thrown;
      });
    return edition;
  };

  async function run<T>(action: string, work: () => Promise<T>): AsyncResult<T> {
    try {
      return ok(await work());
    } catch (thrown) {
      return err(databaseError(thrown, action, { schema }, "READ_FAILED"));
    }
  }

  async function candleViewExists(timeframe: string): Promise<boolean> {
    const result = await database.query(
      "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
      [schema, candleViewName(timeframe)],
    );
    return result.rows.length > 0;
  }

  async function readCandleView(
    coinId: string,
    timeframe: string,
    start: Date,
    end: Date,
    exchangeId: string,
    limit: number,
  ): Promise<Candle[]> {
    const view = qualifiedName(schema, candleViewName(timeframe));
    const result = await database.query<Record<string, unknown>>(
      `SELECT coin_id, exchange_id, ${isoText("bucket")} AS bucket, open::text AS open, high::text AS high,
         low::text AS low, close::text AS close, samples::float8 AS samples
       FROM ${view}
       WHERE coin_id = $1 AND exchange_id = $2 AND bucket >= $3::timestamptz AND bucket < $4::timestamptz
       ORDER BY bucket LIMIT $5`,
      [coinId, exchangeId, start.toISOString(), end.toISOString(), limit],
    );
    return result.rows.map((row) => toCandle(row, timeframe));
  }

  /**
   * `AND column = $n` for each field given (the venue, the quote, a candle's width), so one
   * query shape serves trades, quotes and candles of an instrument.
   */
  function equalities(
    query: KindQuery,
    params: unknown[],
    fields: Record<string, string | undefined>,
  ): string {
    return Object.entries(fields)
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .map(([field, value]) => ` AND ${query.column(field)} = $${params.push(value)}`)
      .join("");
  }

  /** Problems of the optional venue and quote of an instrument read. */
  function checkFilter(options: InstrumentFilter): QiError | undefined {
    return (
      (options.exchangeId === undefined ? undefined : checkText("exchangeId", options.exchangeId)) ??
      (options.quote === undefined ? undefined : checkText("quote", options.quote))
    );
  }

  /** Records of an instrument in a time range: trades, quotes and candles are read the same way. */
  function readInstrumentRange<T>(
    query: KindQuery,
    noun: string,
    instrument: string,
    start: Date,
    end: Date,
    options: QueryLimit & InstrumentFilter,
    extra: Record<string, string> = {},
  ): AsyncResult<T[]> {
    const problem = checkText("instrument", instrument) ?? checkFilter(options) ?? checkRange(start, end);
    if (problem) return Promise.resolve(err(problem));
    return run(`reading the ${noun} of ${instrument} from ${query.table}`, async () => {
      const params: unknown[] = [instrument, start.toISOString(), end.toISOString(), limitOf(options.limit)];
      const filters = equalities(query, params, {
        exchangeId: options.exchangeId,
        quote: options.quote,
        ...extra,
      });
      const time = quoteIdentifier(query.model.timeColumn);
      const result = await database.query<Record<string, unknown>>(
        `SELECT ${query.selectList} FROM ${query.table}
         WHERE ${query.column("instrument")} = $1 AND ${time} >= $2::timestamptz AND ${time} < $3::timestamptz${filters}
         ORDER BY ${time}, ${query.column("exchangeId")}, ${query.column("quote")} LIMIT $4`,
        params,
      );
      return result.rows.map((row) => query.toRecord(row) as T);
    });
  }

  return {
    getTrades: (instrument, start, end, options = {}) =>
      readInstrumentRange<CryptoTrade>(trades, "trades", instrument, start, end, options),

    getQuotes: (instrument, start, end, options = {}) =>
      readInstrumentRange<CryptoQuote>(quotes, "quotes", instrument, start, end, options),

    getCandles(instrument, timeframe, start, end, options = {}) {
      const problem = checkStoredTimeframe(timeframe);
      if (problem) return Promise.resolve(err(problem));
      return readInstrumentRange<CryptoOHLCV>(
        candles,
        `${timeframe} candles`,
        instrument,
        start,
        end,
        options,
        { timeframe },
      );
    },

    getLatestCandles(instrument, timeframe, count, options = {}) {
      const problem =
        checkText("instrument", instrument) ??
        checkStoredTimeframe(timeframe) ??
        checkFilter(options) ??
        (Number.isInteger(count) && count > 0
          ? undefined
          : invalid("count must be a positive integer", { count }));
      if (problem) return Promise.resolve(err(problem));
      return run(
        `reading the latest ${timeframe} candles of ${instrument} from ${candles.table}`,
        async () => {
          const params: unknown[] = [instrument, limitOf(count)];
          const filters = equalities(candles, params, {
            timeframe,
            exchangeId: options.exchangeId,
            quote: options.quote,
          });
          const time = quoteIdentifier(candles.model.timeColumn);
          const result = await database.query<Record<string, unknown>>(
            `SELECT ${candles.selectList} FROM ${candles.table}
           WHERE ${candles.column("instrument")} = $1${filters}
           ORDER BY ${time} DESC, ${candles.column("exchangeId")} DESC, ${candles.column("quote")} DESC LIMIT $2`,
            params,
          );
          return result.rows.map((row) => candles.toRecord(row) as CryptoOHLCV).reverse();
        },
      );
    },

    getPriceHistory(coinId, start, end, options = {}) {
      const problem = checkText("coinId", coinId) ?? checkRange(start, end);
      if (problem) return Promise.resolve(err(problem));
      return run(`reading the price history of ${coinId} from ${prices.table}`, async () => {
        const params: unknown[] = [coinId, start.toISOString(), end.toISOString(), limitOf(options.limit)];
        let exchange = "";
        if (options.exchangeId !== undefined) {
          params.push(options.exchangeId);
          exchange = ` AND ${prices.column("exchangeId")} = $5`;
        }
        const time = quoteIdentifier(prices.model.timeColumn);
        const result = await database.query<Record<string, unknown>>(
          `SELECT ${prices.selectList} FROM ${prices.table}
           WHERE ${prices.column("coinId")} = $1 AND ${time} >= $2::timestamptz AND ${time} < $3::timestamptz${exchange}
           ORDER BY ${time}, ${prices.column("exchangeId")} LIMIT $4`,
          params,
        );
        return result.rows.map((row) => prices.toRecord(row) as CryptoPrice);
      });
    },

    getLatestPrices(coinIds, options = {}) {
      for (const coinId of coinIds ?? []) {
        const problem = checkText("coinId", coinId);
        if (problem) return Promise.resolve(err(problem));
      }
      return run(`reading the latest prices from ${prices.table}`, async () => {
        const coin = prices.column("coinId");
        const exchange = prices.column("exchangeId");
        const time = quoteIdentifier(prices.model.timeColumn);
        const params: unknown[] = [limitOf(options.limit)];
        const filters: string[] = [];
        if (coinIds !== undefined) filters.push(`${coin} = ANY($${params.push([...coinIds])}::text[])`);
        if (options.exchangeId !== undefined)
          filters.push(`${exchange} = $${params.push(options.exchangeId)}`);
        const where = filters.length > 0 ? ` AND ${filters.join(" AND ")}` : "";
        // A skip scan over the primary key (coin, exchange, time): one index probe per
        // coin and exchange instead of reading every row.
        const result = await database.query<Record<string, unknown>>(
          `WITH RECURSIVE pairs AS (
             (SELECT ${coin} AS coin, ${exchange} AS exchange FROM ${prices.table}
              WHERE TRUE${where} ORDER BY ${coin}, ${exchange} LIMIT 1)
             UNION ALL
             SELECT next.coin, next.exchange FROM pairs CROSS JOIN LATERAL (
               SELECT ${coin} AS coin, ${exchange} AS exchange FROM ${prices.table}
               WHERE (${coin}, ${exchange}) > (pairs.coin, pairs.exchange)${where}
               ORDER BY ${coin}, ${exchange} LIMIT 1
             ) next
           )
           SELECT latest.* FROM (SELECT coin, exchange FROM pairs LIMIT $1) pair
           CROSS JOIN LATERAL (
             SELECT ${prices.selectList} FROM ${prices.table}
             WHERE ${coin} = pair.coin AND ${exchange} = pair.exchange
             ORDER BY ${time} DESC LIMIT 1
           ) latest
           ORDER BY latest."coinId", latest."exchangeId"`,
          params,
        );
        return result.rows.map((row) => prices.toRecord(row) as CryptoPrice);
      });
    },

    getLatestOHLCV(coinId, timeframe, count, options = {}) {
      const problem =
        checkText("coinId", coinId) ??
        checkStoredTimeframe(timeframe) ??
        (Number.isInteger(count) && count > 0
          ? undefined
          : invalid("count must be a positive integer", { count }));
      if (problem) return Promise.resolve(err(problem));
      return run(`reading the latest ${timeframe} candles of ${coinId} from ${candles.table}`, async () => {
        const params: unknown[] = [coinId, timeframe, limitOf(count)];
        const exchange =
          options.exchangeId === undefined
            ? ""
            : ` AND ${candles.column("exchangeId")} = $${params.push(options.exchangeId)}`;
        const time = quoteIdentifier(candles.model.timeColumn);
        const result = await database.query<Record<string, unknown>>(
          `SELECT ${candles.selectList} FROM ${candles.table}
           WHERE ${candles.column("coinId")} = $1 AND ${candles.column("timeframe")} = $2${exchange}
           ORDER BY ${time} DESC, ${candles.column("exchangeId")} LIMIT $3`,
          params,
        );
        return result.rows.map((row) => candles.toRecord(row) as CryptoOHLCV).reverse();
      });
    },

    aggregateCandles(coinId, width, start, end, options = {}) {
      const interval = timeframeInterval(width);
      const problem =
        checkText("coinId", coinId) ??
        (interval === undefined
          ? invalid(`width ${JSON.stringify(width)} is not a candle width such as 5m, 1h, 4h or 1d`, {
              width,
            })
          : undefined) ??
        checkRange(start, end);
      if (problem || interval === undefined) return Promise.resolve(err(problem as QiError));
      const exchangeId = options.exchangeId ?? AGGREGATE_EXCHANGE;
      return run(`aggregating ${width} candles of ${coinId} from ${prices.table}`, async () => {
        const limit = limitOf(options.limit);
        const found = await detect();
        const timescale = found.name !== "postgres";
        if (
          options.useAggregates !== false &&
          found.name === "timescale" &&
          CANDLE_VIEWS.some((view) => view.timeframe === width) &&
          (await candleViewExists(width))
        ) {
          return readCandleView(coinId, width, start, end, exchangeId, limit);
        }
        const time = quoteIdentifier(prices.model.timeColumn);
        const price = prices.column("usdPrice");
        const bucket = timescale
          ? `time_bucket($5::interval, ${time}, origin => '${BUCKET_ORIGIN}'::timestamptz)`
          : `date_bin($5::interval, ${time}, '${BUCKET_ORIGIN}'::timestamptz)`;
        const open = timescale ? `first(${price}, ${time})` : `(array_agg(${price} ORDER BY ${time}))[1]`;
        const close = timescale
          ? `last(${price}, ${time})`
          : `(array_agg(${price} ORDER BY ${time} DESC))[1]`;
        const result = await database.query<Record<string, unknown>>(
          `SELECT coin_id, exchange_id, ${isoText("bucket")} AS bucket, open::text AS open, high::text AS high,
             low::text AS low, close::text AS close, samples::float8 AS samples
           FROM (
             SELECT ${prices.column("coinId")} AS coin_id, ${prices.column("exchangeId")} AS exchange_id, ${bucket} AS bucket,
               ${open} AS open, max(${price}) AS high, min(${price}) AS low, ${close} AS close, count(*) AS samples
             FROM ${prices.table}
             WHERE ${prices.column("coinId")} = $1 AND ${prices.column("exchangeId")} = $2
               AND ${time} >= $3::timestamptz AND ${time} < $4::timestamptz
             GROUP BY 1, 2, 3
           ) candles
           ORDER BY bucket LIMIT $6`,
          [coinId, exchangeId, start.toISOString(), end.toISOString(), interval, limit],
        );
        return result.rows.map((row) => toCandle(row, width));
      });
    },

    getAggregatedCandles(coinId, timeframe, start, end, options = {}) {
      const problem = checkText("coinId", coinId) ?? checkRange(start, end);
      if (problem) return Promise.resolve(err(problem));
      if (!CANDLE_VIEWS.some((view) => view.timeframe === timeframe)) {
        return Promise.resolve(
          err(
            invalid(`no continuous aggregate for ${JSON.stringify(timeframe)}; use 1h or 1d`, { timeframe }),
          ),
        );
      }
      return run(`reading ${timeframe} candles of ${coinId} from a continuous aggregate`, async () => {
        if (!(await candleViewExists(timeframe))) {
          const found = await detect();
          throw qiError(
            "CAPABILITY_MISSING",
            `${ADAPTER_NAME} reader: there is no ${candleViewName(timeframe)} continuous aggregate in schema ${schema}: ${describeEdition(found)}; continuous aggregates need the Timescale License edition and candles.enabled. aggregateCandles() computes candles on any database.`,
            { category: "VALIDATION", context: { schema, timeframe, edition: found.name } },
          );
        }
        return readCandleView(
          coinId,
          timeframe,
          start,
          end,
          options.exchangeId ?? AGGREGATE_EXCHANGE,
          limitOf(options.limit),
        );
      });
    },

    getMarketAnalytics(start, end, options = {}) {
      const problem = checkRange(start, end);
      if (problem) return Promise.resolve(err(problem));
      return run(`reading market analytics from ${analytics.table}`, async () => {
        const time = quoteIdentifier(analytics.model.timeColumn);
        const params: unknown[] = [start.toISOString(), end.toISOString(), limitOf(options.limit)];
        const source =
          options.source === undefined
            ? ""
            : ` AND ${analytics.column("source")} = $${params.push(options.source)}`;
        const result = await database.query<Record<string, unknown>>(
          `SELECT ${analytics.selectList} FROM ${analytics.table}
           WHERE ${time} >= $1::timestamptz AND ${time} < $2::timestamptz${source}
           ORDER BY ${time}, ${analytics.column("source")} LIMIT $3`,
          params,
        );
        return result.rows.map((row) => analytics.toRecord(row) as CryptoMarketAnalytics);
      });
    },

    listHypertables() {
      return run(`listing the hypertables of schema ${schema}`, async () => {
        const found = await detect();
        if (found.name === "postgres") return [];
        const result = await database.query<Record<string, unknown>>(
          `SELECT h.hypertable_schema AS schema, h.hypertable_name AS table, h.num_chunks::int AS chunks,
             h.compression_enabled AS compression,
             hypertable_size(format('%I.%I', h.hypertable_schema, h.hypertable_name)::regclass)::float8 AS size
           FROM timescaledb_information.hypertables h
           WHERE h.hypertable_schema = $1 ORDER BY h.hypertable_name LIMIT $2`,
          [schema, settings.maxRows],
        );
        return result.rows.map(
          (row): HypertableInfo => ({
            schema: String(row.schema),
            table: String(row.table),
            chunks: Number(row.chunks),
            compressionEnabled: row.compression === true,
            sizeBytes: Number(row.size ?? 0),
          }),
        );
      });
    },

    compressionStats() {
      return run(`reading compression statistics of schema ${schema}`, async () => {
        const found = await detect();
        if (found.name !== "timescale") return [];
        const result = await database.query<Record<string, unknown>>(
          `SELECT h.hypertable_name AS table, s.total_chunks::int AS total, s.number_compressed_chunks::int AS compressed,
             s.before_compression_total_bytes::float8 AS before, s.after_compression_total_bytes::float8 AS after
           FROM timescaledb_information.hypertables h
           CROSS JOIN LATERAL hypertable_compression_stats(format('%I.%I', h.hypertable_schema, h.hypertable_name)::regclass) s
           WHERE h.hypertable_schema = $1 AND h.compression_enabled ORDER BY h.hypertable_name LIMIT $2`,
          [schema, settings.maxRows],
        );
        return result.rows.map((row): CompressionStats => {
          const before = row.before === null ? null : Number(row.before);
          const after = row.after === null ? null : Number(row.after);
          return {
            table: String(row.table),
            totalChunks: Number(row.total ?? 0),
            compressedChunks: Number(row.compressed ?? 0),
            beforeBytes: before,
            afterBytes: after,
            ratio: before !== null && after !== null && after > 0 ? before / after : null,
          };
        });
      });
    },

    async healthCheck(): Promise<HealthStatus> {
      const started = performance.now();
      try {
        await database.query("SELECT 1");
        const latencyMs = performance.now() - started;
        const found = await detect();
        return {
          status: "healthy",
          latencyMs,
          details: { database: database.location, edition: found.name, schema },
        };
      } catch (thrown) {
        return {
          status: "unhealthy",
          latencyMs: performance.now() - started,
          message: databaseError(thrown, `checking ${database.location}`).message,
          details: { database: database.location, schema },
        };
      }
    },

    edition() {
      return run(`detecting the edition of ${database.location}`, detect);
    },

    async close() {},
  };
}

function toCandle(row: Record<string, unknown>, timeframe: string): Candle {
  return {
    coinId: String(row.coin_id),
    exchangeId: String(row.exchange_id),
    timeframe,
    timestamp: String(row.bucket),
    open: trimDecimal(String(row.open)),
    high: trimDecimal(String(row.high)),
    low: trimDecimal(String(row.low)),
    close: trimDecimal(String(row.close)),
    samples: Number(row.samples),
  };
}
