import {
  ADAPTER_CONTRACT_VERSION,
  defineTarget,
  type HealthStatus,
  type Logger,
  type MarketRecord,
  qiError,
  type RecordKind,
  type StateStore,
  silentLogger,
  type TargetHandlers,
} from "@qicore/core/adapter";
import type pg from "pg";
import { type TimescaleConfig, timescaleConfigSchema } from "./config";
import { openDatabase } from "./connection";
import { openTimescaleReader } from "./create-reader";
import type { Database } from "./database";
import { ADAPTER_NAME } from "./errors";
import { type MigrationReport, migrate } from "./migrations";
import { describeConnectionString } from "./postgres-database";
import { createReader } from "./reader";
import { createStateStore } from "./state-store";
import type { TimescaleInjection, TimescaleOptions, TimescaleReader } from "./types";
import { RecordWriter, type WriteReport } from "./writer";

/** A target created in code: the pipeline handlers plus the reader and the migration report. */
export interface TimescaleTarget extends TargetHandlers {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  healthCheck(): Promise<HealthStatus>;
  stateStore(): Promise<StateStore>;
  /** Writes records and says how (COPY or upserts) and what failed; `write` is this without the path. */
  writeRecords(kind: RecordKind, records: readonly MarketRecord[]): Promise<WriteReport>;
  /** Queries over the same connection. */
  readonly reader: TimescaleReader;
  /** What the last migration found and did; undefined before connect or with `migrate: false`. */
  readonly migration: MigrationReport | undefined;
  /** The open database handle (connects first), to share with createTimescaleReader({ database }). */
  database(): Promise<Database>;
  /** Writes the pipeline may have in flight at once (each on its own connection; see the config option). */
  readonly writeConcurrency: number;
}

// Three writes in flight keep the database busy while the pipeline encodes and sends the next
// (one at a time it waited on the database ~38% of the time); more did not add on 2 cores.
const DEFAULT_WRITE_CONCURRENCY = 3;

/** Writes in flight: as configured, else 3 on a server and 1 on PGlite (one connection in-process). */
export function writeConcurrencyOf(config: TimescaleConfig, injection: TimescaleInjection): number {
  if (config.writeConcurrency !== undefined) return config.writeConcurrency;
  const embedded =
    injection.pglite !== undefined ||
    injection.database?.engine === "pglite" ||
    (!injection.pool && !injection.database && config.connectionString.startsWith("embedded"));
  return embedded ? 1 : Math.min(DEFAULT_WRITE_CONCURRENCY, config.pool.max);
}

/** Parses options into a config, throwing a VALIDATION QiError that lists every problem. */
export function parseTimescaleConfig(options: unknown): TimescaleConfig {
  const parsed = timescaleConfigSchema.safeParse(options);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join(".") || "(config)"}: ${issue.message}`,
  );
  throw qiError("CONFIG_INVALID", `${ADAPTER_NAME}: invalid options: ${problems.join("; ")}`, {
    context: { problems },
  });
}

/** Where the options point, for messages given before the database is open; never a password. */
export function describeLocation(connectionString: string, injection: TimescaleInjection): string {
  if (injection.database) return injection.database.location;
  if (injection.pool) return "an injected pg Pool";
  if (injection.pglite) return "an injected PGlite";
  if (connectionString.startsWith("embedded")) return `embedded PGlite (${connectionString})`;
  return describeConnectionString(connectionString);
}

/** Separates the config (validated by the schema) from injected connections; `pool` may be either. */
export function splitOptions(options: TimescaleOptions): {
  config: Record<string, unknown>;
  injection: TimescaleInjection;
} {
  const { pool, pglite, database, logger: _logger, baseDir: _baseDir, ...config } = options;
  const injectedPool = isPool(pool) ? pool : undefined;
  return {
    config: injectedPool || pool === undefined ? config : { ...config, pool },
    injection: { pool: injectedPool, pglite, database },
  };
}

function isPool(value: unknown): value is pg.Pool {
  return typeof (value as { connect?: unknown } | undefined)?.connect === "function";
}

/**
 * A TimescaleDB / PostgreSQL / PGlite target for embedding. Connects lazily (on
 * `connect()` or the first call that needs the database) and creates its tables then.
 *
 *     const target = createTimescaleTarget({ connectionString: "embedded:.qicore/data" });
 *     await target.write("price", prices);
 *     const latest = await target.reader.getLatestPrices();
 *     await target.disconnect();
 */
export function createTimescaleTarget(options: TimescaleOptions = {}): TimescaleTarget {
  const { config: rawConfig, injection } = splitOptions(options);
  const config = parseTimescaleConfig(rawConfig);
  return buildTarget(config, injection, options.logger ?? silentLogger, options.baseDir ?? process.cwd());
}

function buildTarget(
  config: TimescaleConfig,
  injection: TimescaleInjection,
  logger: Logger,
  baseDir: string,
  signal?: AbortSignal,
): TimescaleTarget {
  const retry = { ...config.retry, ...(signal ? { signal } : {}) };
  let opening: Promise<{ database: Database; writer: RecordWriter; migration?: MigrationReport }> | undefined;
  let opened: { database: Database; owned: boolean } | undefined;
  let migration: MigrationReport | undefined;

  const open = () => {
    opening ??= (async () => {
      const result = await openDatabase(config, injection, { logger, baseDir });
      opened = result;
      try {
        if (config.migrate) {
          migration = await migrate(result.database, {
            schema: config.schema,
            timescale: config.timescale,
            ...(config.chunkInterval ? { chunkInterval: config.chunkInterval } : {}),
            compression: config.compression,
            retention: config.retention,
            candles: config.candles,
            retry,
            logger,
          });
        }
      } catch (thrown) {
        if (result.owned) await result.database.close().catch(() => undefined);
        opened = undefined;
        throw thrown;
      }
      const writer = new RecordWriter(result.database, {
        schema: config.schema,
        batchSize: config.batchSize,
        bulkThreshold: config.bulkThreshold,
        copyBatchSize: config.copyBatchSize,
        logger,
      });
      return { database: result.database, writer };
    })().catch((thrown) => {
      opening = undefined;
      throw thrown;
    });
    return opening;
  };

  // The reader is usable before connect: each call opens the database on first use.
  const lazyDatabase: Database = {
    get engine() {
      return (
        opened?.database.engine ?? (config.connectionString.startsWith("embedded") ? "pglite" : "postgres")
      );
    },
    get location() {
      return opened?.database.location ?? describeLocation(config.connectionString, injection);
    },
    query: async (text, params) => (await open()).database.query(text, params),
    withSession: async (work) => (await open()).database.withSession(work),
    close: async () => {},
  };
  const reader = createReader(lazyDatabase, {
    schema: config.schema,
    maxRows: config.maxRows,
    timescale: config.timescale,
  });

  const target: TimescaleTarget = {
    reader,
    writeConcurrency: writeConcurrencyOf(config, injection),
    get migration() {
      return migration;
    },
    async database() {
      return (await open()).database;
    },
    async connect() {
      await open();
    },
    async disconnect() {
      const current = opening;
      opening = undefined;
      if (!current) return;
      const state = await current.catch(() => undefined);
      if (state && opened?.owned) await state.database.close();
      opened = undefined;
    },
    async healthCheck() {
      try {
        await open();
      } catch (thrown) {
        return {
          status: "unhealthy",
          message: thrown instanceof Error ? thrown.message : String(thrown),
        };
      }
      const status = await reader.healthCheck();
      return migration
        ? { ...status, details: { ...status.details, schemaVersion: migration.schemaVersion } }
        : status;
    },
    async writeRecords(kind, records) {
      const { writer } = await open();
      return writer.write(kind, records);
    },
    async write(kind, records) {
      const { writer } = await open();
      const report = await writer.write(kind, records);
      return report.failures.length > 0 ? { failures: report.failures } : undefined;
    },
    async stateStore() {
      const { database } = await open();
      return createStateStore(database, config.schema, retry, logger);
    },
  };
  return target;
}

/**
 * The `timescale` target of pipeline files: TimescaleDB (any edition), PostgreSQL, or
 * PGlite in-process (`connectionString: embedded`).
 */
export const timescaleTarget = defineTarget({
  name: "timescale",
  description:
    "TimescaleDB / PostgreSQL / embedded PGlite: idempotent upserts, COPY bulk loads, hypertables, compression, retention and candle aggregates.",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema: timescaleConfigSchema,
  capabilities: {
    kinds: ["price", "ohlcv", "analytics", "trade", "quote"],
    idempotent: true,
    deadLetter: false,
  },
  create(config, context) {
    return buildTarget(
      config,
      {},
      context.logger.child({ target: context.id }),
      context.baseDir,
      context.signal,
    );
  },
  // The reader capability: the MCP server's query tools read the tables from the same config.
  openReader(config, context) {
    return openTimescaleReader(
      context.clientName ? { ...config, applicationName: context.clientName } : config,
      {},
      { logger: context.logger.child({ target: context.id }), baseDir: context.baseDir },
    );
  },
});
