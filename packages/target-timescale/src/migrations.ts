import {
  type Logger,
  RECORD_KINDS,
  type SqlEdition,
  tableModel,
  tableStatements,
} from "@qicore/core/adapter";
import { type Database, inTransaction, qualifiedName, quoteIdentifier, type SqlSession } from "./database";
import { describeEdition, detectEdition, type Edition, type TimescaleMode } from "./edition";
import { databaseError } from "./errors";
import { instrumentUpgradeStatements } from "./instrument-upgrade";
import { retryTransient, type TransientRetryPolicy } from "./retry";

export interface MigrationOptions {
  schema: string;
  timescale: TimescaleMode;
  /** Chunk width for every hypertable; the generator's per-kind default when absent. */
  chunkInterval?: string;
  compression: { enabled: boolean; after: string };
  retention: { enabled: boolean; after: string };
  candles: { enabled: boolean; refreshEvery: string };
  retry: TransientRetryPolicy;
  logger: Logger;
}

/** A feature the database or the config left out, and why. */
export interface SkippedFeature {
  feature: string;
  reason: string;
}

export interface MigrationReport {
  edition: Edition;
  /** Highest schema version applied so far. */
  schemaVersion: number;
  /** Steps applied by this run. */
  applied: string[];
  skipped: SkippedFeature[];
}

/** Widths of the candles kept as continuous aggregates, with their refresh windows. */
export const CANDLE_VIEWS = [
  { timeframe: "1h", bucket: "1 hour", startOffset: "3 days", endOffset: "1 hour" },
  { timeframe: "1d", bucket: "1 day", startOffset: "30 days", endOffset: "1 day" },
] as const;

export function candleViewName(timeframe: string): string {
  return `${tableModel("price").table.replace(/_prices$/, "")}_candles_${timeframe}`;
}

export const SCHEMA_VERSION_TABLE = "qicore_schema_version";
export const STATE_TABLE = "qicore_state";

interface Step {
  version: number;
  name: string;
  /** The least edition the step needs. */
  needs: SqlEdition;
  /** A reason the config gives to leave the step out. */
  disabledBy?: (options: MigrationOptions) => string | undefined;
  /** A required step's failure fails the migration; an optional one's is skipped and tried again later. */
  required?: boolean;
  /** `applied`: the edition the steps applied so far have built (hypertables, compression). */
  statements(options: MigrationOptions, applied: SqlEdition): string[];
}

const EDITION_RANK: Record<SqlEdition, number> = { postgres: 0, apache: 1, timescale: 2 };

function generated(options: MigrationOptions, edition: SqlEdition): string[] {
  return RECORD_KINDS.flatMap((kind) =>
    tableStatements(kind, {
      schema: options.schema,
      edition,
      ...(options.chunkInterval ? { chunkInterval: options.chunkInterval } : {}),
      compressAfter: options.compression.enabled ? options.compression.after : false,
    }),
  );
}

// The generator gives each edition's full DDL; a step runs what its edition adds to the one below.
function added(options: MigrationOptions, edition: SqlEdition, below: SqlEdition): string[] {
  const existing = new Set(generated(options, below));
  return generated(options, edition).filter(
    (statement) => !existing.has(statement) && !/^CREATE EXTENSION/i.test(statement),
  );
}

function stateTable(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualifiedName(schema, STATE_TABLE)} (
  pipeline TEXT NOT NULL,
  source_id TEXT NOT NULL,
  checkpoint JSONB,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (pipeline, source_id)
)`;
}

function candleViews(options: MigrationOptions): string[] {
  const prices = tableModel("price");
  const column = (field: string) => {
    const found = prices.columns.find((candidate) => candidate.field === field);
    if (!found) throw new Error(`price records have no field ${field}`);
    return quoteIdentifier(found.column);
  };
  const coin = column("coinId");
  const exchange = column("exchangeId");
  const price = column("usdPrice");
  const time = quoteIdentifier(prices.timeColumn);
  const source = qualifiedName(options.schema, prices.table);
  return CANDLE_VIEWS.flatMap((view) => {
    const name = qualifiedName(options.schema, candleViewName(view.timeframe));
    const bucket = `time_bucket(INTERVAL '${view.bucket}', ${time})`;
    return [
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${name}
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT ${coin} AS coin_id, ${exchange} AS exchange_id, ${bucket} AS bucket,
  first(${price}, ${time}) AS open, max(${price}) AS high, min(${price}) AS low,
  last(${price}, ${time}) AS close, count(*) AS samples
FROM ${source}
GROUP BY ${coin}, ${exchange}, ${bucket}
WITH NO DATA`,
      `SELECT add_continuous_aggregate_policy('${name}', start_offset => INTERVAL '${view.startOffset}', end_offset => INTERVAL '${view.endOffset}', schedule_interval => INTERVAL '${options.candles.refreshEvery}', if_not_exists => TRUE)`,
    ];
  });
}

const STEPS: readonly Step[] = [
  {
    version: 1,
    name: "record tables, indexes and the state table",
    needs: "postgres",
    required: true,
    statements: (options) => [...generated(options, "postgres"), stateTable(options.schema)],
  },
  {
    version: 2,
    name: "hypertables",
    needs: "apache",
    statements: (options) => added(options, "apache", "postgres"),
  },
  {
    version: 3,
    name: "compression (segment by key, order by time) and compression policies",
    needs: "timescale",
    disabledBy: (options) => (options.compression.enabled ? undefined : "compression.enabled is false"),
    statements: (options) => added(options, "timescale", "apache"),
  },
  {
    version: 4,
    name: "continuous aggregates: 1h and 1d candles from prices",
    needs: "timescale",
    disabledBy: (options) => (options.candles.enabled ? undefined : "candles.enabled is false"),
    statements: candleViews,
  },
  {
    version: 5,
    name: "instrument identity: prices and candles per instrument and quote currency; trade and quote tables",
    needs: "postgres",
    required: true,
    // The upgrade blocks first (they switch compression off where the key changes), then the
    // generated DDL of what the database has so far: new tables, comments, hypertables and
    // compression with the new keys. All of it is a no-op on a database created by this release.
    // The columns added since (step 6) come before the generated DDL, which comments on them.
    statements: (options, applied) => [
      ...instrumentUpgradeStatements(options.schema),
      ...addedColumns(options.schema),
      ...generated(options, applied).filter((statement) => !/^CREATE EXTENSION/i.test(statement)),
    ],
  },
  {
    version: 6,
    name: "columns records gained since: trade count and forward-filled marks on candles",
    needs: "postgres",
    required: true,
    statements: (options) => addedColumns(options.schema),
  },
];

/**
 * `ADD COLUMN IF NOT EXISTS` for every optional field of the records, so a table made before a
 * field existed gains it (a no-op where it is there). Optional fields are nullable columns,
 * which every edition adds in place, compressed hypertables included. A table not there yet
 * is left to the DDL that creates it whole.
 */
function addedColumns(schema: string): string[] {
  return RECORD_KINDS.flatMap((kind) => {
    const model = tableModel(kind);
    const table = qualifiedName(schema, model.table);
    return model.columns
      .filter((column) => column.nullable)
      .map(
        (column) =>
          `ALTER TABLE IF EXISTS ${table} ADD COLUMN IF NOT EXISTS ${quoteIdentifier(column.column)} ${column.sqlType}`,
      );
  });
}

/** The edition the applied steps have built: hypertables need step 2, compression step 3. */
function appliedEdition(done: ReadonlySet<number>): SqlEdition {
  if (!done.has(2)) return "postgres";
  return done.has(3) ? "timescale" : "apache";
}

// A feature skipped for a database is said once per process, not at every connect.
const announced = new Set<string>();

/**
 * Brings the schema to the current version. Safe to run from several writers at once:
 * everything happens in one transaction holding an advisory lock, so the second writer
 * waits and then finds the steps recorded in `qicore_schema_version`. Steps the
 * database cannot run (no TimescaleDB, Apache edition) are skipped, said once in the
 * log, and applied on a later start when the database can.
 */
export async function migrate(database: Database, options: MigrationOptions): Promise<MigrationReport> {
  const report = await retryTransient(
    `migrating schema ${options.schema} on ${database.location}`,
    () => database.withSession((session) => inTransaction(session, () => runSteps(session, options))),
    options.retry,
    options.logger,
  ).catch((thrown) => {
    throw databaseError(
      thrown,
      `creating or upgrading the tables in schema ${options.schema} on ${database.location}`,
      {
        schema: options.schema,
      },
    );
  });
  announce(database, options, report);
  return report;
}

async function runSteps(session: SqlSession, options: MigrationOptions): Promise<MigrationReport> {
  await session.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`qicore:migrate:${options.schema}`]);
  const edition = await detectEdition(session, options.timescale);
  if (options.timescale === "require" && edition.name === "postgres") {
    throw new Error(`TimescaleDB is required (timescale: require) but ${describeEdition(edition)}`);
  }
  if (options.schema !== "public")
    await session.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(options.schema)}`);
  const versionTable = qualifiedName(options.schema, SCHEMA_VERSION_TABLE);
  await session.query(`CREATE TABLE IF NOT EXISTS ${versionTable} (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  edition TEXT NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`);
  const done = new Set(
    (await session.query<{ version: number }>(`SELECT version FROM ${versionTable}`)).rows.map((row) =>
      Number(row.version),
    ),
  );
  const applied: string[] = [];
  const skipped: SkippedFeature[] = [];
  for (const step of STEPS) {
    if (done.has(step.version)) continue;
    if (EDITION_RANK[edition.name] < EDITION_RANK[step.needs]) {
      skipped.push({ feature: step.name, reason: missingEditionReason(edition, step.needs) });
      continue;
    }
    if (step.needs !== "postgres" && step.version !== 2 && !done.has(2)) {
      skipped.push({
        feature: step.name,
        reason: "the tables are not hypertables (see the hypertables step)",
      });
      continue;
    }
    const disabled = step.disabledBy?.(options);
    if (disabled) {
      skipped.push({ feature: step.name, reason: `disabled by the target's config (${disabled})` });
      continue;
    }
    const failure = await runOptional(
      session,
      step.statements(options, appliedEdition(done)),
      step.required === true,
    );
    if (failure) {
      skipped.push({ feature: step.name, reason: failure });
      continue;
    }
    await session.query(
      `INSERT INTO ${versionTable} (version, name, edition) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [step.version, step.name, edition.name],
    );
    done.add(step.version);
    applied.push(step.name);
  }
  skipped.push(...(await applyRetention(session, options, edition)));
  return { edition, schemaVersion: Math.max(0, ...done), applied, skipped };
}

/**
 * Runs statements in a savepoint. A required step's failure is thrown; an optional
 * step's is rolled back and returned as the reason it was skipped.
 */
async function runOptional(
  session: SqlSession,
  statements: string[],
  required: boolean,
): Promise<string | undefined> {
  if (required) {
    for (const statement of statements) await session.query(statement);
    return undefined;
  }
  await session.query("SAVEPOINT qicore_step");
  try {
    for (const statement of statements) await session.query(statement);
    await session.query("RELEASE SAVEPOINT qicore_step");
    return undefined;
  } catch (thrown) {
    await session.query("ROLLBACK TO SAVEPOINT qicore_step");
    return `the database refused it: ${thrown instanceof Error ? thrown.message : String(thrown)}`;
  }
}

// Retention is config, not schema: the policy follows `retention.after` at every start.
async function applyRetention(
  session: SqlSession,
  options: MigrationOptions,
  edition: Edition,
): Promise<SkippedFeature[]> {
  if (!options.retention.enabled) return [];
  const feature = `retention policy (drop chunks older than ${options.retention.after})`;
  if (edition.name !== "timescale") return [{ feature, reason: missingEditionReason(edition, "timescale") }];
  const skipped: SkippedFeature[] = [];
  for (const kind of RECORD_KINDS) {
    const table = tableModel(kind).table;
    const qualified = qualifiedName(options.schema, table);
    const existing = await session.query<{ same: boolean }>(
      `SELECT (config->>'drop_after')::interval = $3::interval AS same FROM timescaledb_information.jobs
       WHERE proc_name = 'policy_retention' AND hypertable_schema = $1 AND hypertable_name = $2`,
      [options.schema, table, options.retention.after],
    );
    if (existing.rows[0]?.same === true) continue;
    const failure = await runOptional(
      session,
      [
        ...(existing.rows.length > 0
          ? [`SELECT remove_retention_policy('${qualified}', if_exists => TRUE)`]
          : []),
        `SELECT add_retention_policy('${qualified}', drop_after => INTERVAL '${options.retention.after}', if_not_exists => TRUE)`,
      ],
      false,
    );
    if (failure) skipped.push({ feature: `${feature} on ${table}`, reason: failure });
  }
  return skipped;
}

function missingEditionReason(edition: Edition, needs: SqlEdition): string {
  if (edition.name === "postgres") {
    return `TimescaleDB is not available (${edition.reason ?? "not installed"}); using plain PostgreSQL tables`;
  }
  if (needs === "timescale" && edition.name === "apache") {
    return `TimescaleDB ${edition.timescaleVersion} is the Apache-2 edition (timescaledb.license = apache); this needs the Timescale License edition`;
  }
  return `needs ${needs}, the database is ${describeEdition(edition)}`;
}

function announce(database: Database, options: MigrationOptions, report: MigrationReport): void {
  const { logger } = options;
  const fields = { database: database.location, schema: options.schema };
  const fresh = report.skipped.filter((skip) => {
    const key = `${database.location}|${options.schema}|${skip.feature}`;
    if (announced.has(key)) return false;
    announced.add(key);
    return true;
  });
  // Asked for and not possible deserves a warning of its own; defaults the database lacks
  // are one line of information, with the reasons at debug level.
  const asked = fresh.filter((skip) => skip.feature.startsWith("retention"));
  const defaults = fresh.filter((skip) => !asked.includes(skip));
  const editionKey = `${database.location}|${options.schema}|edition`;
  if (!announced.has(editionKey)) {
    announced.add(editionKey);
    const without =
      defaults.length > 0 ? `; not available here: ${defaults.map((skip) => skip.feature).join(", ")}` : "";
    logger.info(`database: ${describeEdition(report.edition)}${without}`, {
      ...fields,
      schemaVersion: report.schemaVersion,
    });
  } else if (defaults.length > 0) {
    logger.info(`not available here: ${defaults.map((skip) => skip.feature).join(", ")}`, fields);
  }
  for (const skip of defaults) logger.debug(`skipped ${skip.feature}: ${skip.reason}`, fields);
  for (const step of report.applied) logger.info(`created ${step}`, fields);
  for (const skip of asked) logger.warn(`skipped ${skip.feature}: ${skip.reason}`, fields);
}
