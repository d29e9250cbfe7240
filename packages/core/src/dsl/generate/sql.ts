import { z } from "zod";
import { type QiError, qiError } from "../../errors/qi-error";
import { RECORD_KIND_DEFINITIONS, RECORD_KINDS, type RecordKind } from "../kinds";
import { type TableModel, tableModel } from "../table-model";

/**
 * Which database the DDL is for.
 * - `timescale`: TimescaleDB under the Timescale License (hypertables, compression and
 *   compression policies).
 * - `apache`: TimescaleDB's Apache-2 edition (Debian's build, for one): hypertables only;
 *   compression and policies are not available there.
 * - `postgres`: plain PostgreSQL: ordinary tables with the same columns, keys and indexes.
 */
export type SqlEdition = "timescale" | "apache" | "postgres";

export const SQL_EDITIONS: readonly SqlEdition[] = ["timescale", "apache", "postgres"];

export interface SchemaSqlOptions {
  /** PostgreSQL schema the tables live in. Default `public`. */
  schema?: string;
  /**
   * Chunk width of every hypertable, a PostgreSQL interval such as `1 day` or `12 hours`.
   * Default per kind: see {@link DEFAULT_CHUNK_INTERVALS}.
   */
  chunkInterval?: string;
  /** Default `timescale`. */
  edition?: SqlEdition;
  /**
   * `timescale` edition only: age after which chunks are compressed, a PostgreSQL
   * interval. `false` leaves compression off. Default `7 days`.
   */
  compressAfter?: string | false;
}

/** Chunk widths sized to each kind's usual volume: many prices, fewer candles, few analytics rows. */
export const DEFAULT_CHUNK_INTERVALS: { readonly [K in RecordKind]: string } = {
  price: "1 day",
  ohlcv: "7 days",
  analytics: "30 days",
  trade: "1 day",
  quote: "1 day",
};

export const DEFAULT_COMPRESS_AFTER = "7 days";

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const INTERVAL_UNITS = "microseconds?|milliseconds?|seconds?|minutes?|hours?|days?|weeks?|months?|years?";
const INTERVAL = new RegExp(`^\\d{1,6} (?:${INTERVAL_UNITS})(?: \\d{1,6} (?:${INTERVAL_UNITS}))*$`);

interface ResolvedOptions {
  schema: string;
  edition: SqlEdition;
  chunkInterval: string | undefined;
  compressAfter: string | false;
}

/**
 * The statements that create the tables of every record kind, in the order to run them,
 * each without a trailing semicolon (for `pg`'s `query`, one at a time). Every statement
 * is idempotent, so running them again on an existing database changes nothing.
 *
 * @throws QiError (category VALIDATION) when the schema name or an interval is invalid.
 */
export function schemaStatements(options: SchemaSqlOptions = {}): string[] {
  const resolved = resolveOptions(options);
  return [...preludeStatements(resolved), ...RECORD_KINDS.flatMap((kind) => kindStatements(kind, resolved))];
}

/**
 * The statements for one kind's table: table, comments, hypertable, indexes, compression.
 * They assume the prelude of {@link schemaStatements} (extension, schema) has run.
 *
 * @throws QiError (category VALIDATION) when the schema name or an interval is invalid.
 */
export function tableStatements(kind: RecordKind, options: SchemaSqlOptions = {}): string[] {
  return kindStatements(kind, resolveOptions(options));
}

/**
 * The DDL of every record table as one SQL script (what `qicore schema sql` prints and
 * `@qicore/core/schemas/schema.sql` holds).
 *
 * @throws QiError (category VALIDATION) when the schema name or an interval is invalid.
 */
export function generateSchemaSql(options: SchemaSqlOptions = {}): string {
  const resolved = resolveOptions(options);
  const sections = [
    header(resolved),
    script(preludeStatements(resolved)),
    ...RECORD_KINDS.map((kind) => `${kindHeader(kind)}\n${script(kindStatements(kind, resolved))}`),
  ].filter((section) => section.length > 0);
  return `${sections.join("\n\n")}\n`;
}

/**
 * The DDL of one record table as a SQL script, with the prelude (extension, schema) it needs.
 *
 * @throws QiError (category VALIDATION) when the schema name or an interval is invalid.
 */
export function generateTableSql(kind: RecordKind, options: SchemaSqlOptions = {}): string {
  const resolved = resolveOptions(options);
  const sections = [
    script(preludeStatements(resolved)),
    `${kindHeader(kind)}\n${script(kindStatements(kind, resolved))}`,
  ].filter((section) => section.length > 0);
  return `${sections.join("\n\n")}\n`;
}

/** `"name"`, after checking the name is a plain lowercase PostgreSQL identifier. */
export function quoteIdentifier(name: string, what = "identifier"): string {
  if (!IDENTIFIER.test(name)) {
    throw qiError(
      "VALIDATION_FAILED",
      `invalid ${what} ${JSON.stringify(name)}: use 1 to 63 lowercase letters, digits or underscores, not starting with a digit`,
      { context: { [what]: name, pattern: IDENTIFIER.source } },
    );
  }
  return `"${name}"`;
}

/** A SQL string literal: single quotes doubled. */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function resolveOptions(options: SchemaSqlOptions): ResolvedOptions {
  const edition = options.edition ?? "timescale";
  if (!SQL_EDITIONS.includes(edition)) {
    throw invalidOption("edition", edition, `use one of ${SQL_EDITIONS.join(", ")}`);
  }
  const schema = options.schema ?? "public";
  quoteIdentifier(schema, "schema name");
  const chunkInterval =
    options.chunkInterval === undefined ? undefined : checkInterval("chunkInterval", options.chunkInterval);
  const compressAfter =
    options.compressAfter === false
      ? false
      : checkInterval("compressAfter", options.compressAfter ?? DEFAULT_COMPRESS_AFTER);
  return { schema, edition, chunkInterval, compressAfter };
}

// Intervals are spliced into SQL text, so only the plain `<number> <unit>` form passes.
function checkInterval(option: string, value: string): string {
  const normalized = value.trim().replace(/\s+/g, " ").toLowerCase();
  if (!INTERVAL.test(normalized)) {
    throw invalidOption(
      option,
      value,
      "use a PostgreSQL interval such as `1 day`, `12 hours` or `1 day 12 hours`",
    );
  }
  return normalized;
}

function invalidOption(option: string, value: unknown, hint: string): QiError {
  return qiError(
    "VALIDATION_FAILED",
    `invalid SQL generator option ${option}: ${JSON.stringify(value)}; ${hint}`,
    { context: { option, value } },
  );
}

function preludeStatements(options: ResolvedOptions): string[] {
  const statements: string[] = [];
  if (options.edition !== "postgres") statements.push("CREATE EXTENSION IF NOT EXISTS timescaledb");
  // `public` exists everywhere, and CREATE SCHEMA needs a privilege a table owner may lack.
  if (options.schema !== "public") {
    statements.push(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(options.schema, "schema name")}`);
  }
  return statements;
}

function kindStatements(kind: RecordKind, options: ResolvedOptions): string[] {
  const model = tableModel(kind);
  const table = `${quoteIdentifier(options.schema, "schema name")}.${quoteIdentifier(model.table, "table name")}`;
  const statements = [createTable(model, table), ...comments(kind, model, table)];
  if (options.edition !== "postgres") {
    checkPrimaryKeyHasTime(model);
    const chunk = options.chunkInterval ?? DEFAULT_CHUNK_INTERVALS[kind];
    // Our own indexes below cover the time column; TimescaleDB's default ones would duplicate them.
    statements.push(
      `SELECT create_hypertable(${quoteLiteral(table)}, by_range(${quoteLiteral(model.timeColumn)}, INTERVAL ${quoteLiteral(chunk)}), create_default_indexes => FALSE, if_not_exists => TRUE)`,
    );
  }
  statements.push(...model.indexes.map((index) => createIndex(index, table)));
  if (options.edition === "timescale" && options.compressAfter !== false) {
    statements.push(...compression(model, table, options.schema, options.compressAfter));
  }
  return statements;
}

function createTable(model: TableModel, table: string): string {
  const lines = model.columns.map(
    (column) =>
      `  ${quoteIdentifier(column.column, "column name")} ${column.sqlType}${column.nullable ? "" : " NOT NULL"}`,
  );
  lines.push(
    `  PRIMARY KEY (${model.primaryKey.map((column) => quoteIdentifier(column, "column name")).join(", ")})`,
  );
  return `CREATE TABLE IF NOT EXISTS ${table} (\n${lines.join(",\n")}\n)`;
}

function comments(kind: RecordKind, model: TableModel, table: string): string[] {
  const meta = z.globalRegistry.get(RECORD_KIND_DEFINITIONS[kind].schema) as
    | { description?: string }
    | undefined;
  const statements: string[] = [];
  if (meta?.description) {
    const version = RECORD_KIND_DEFINITIONS[kind].schemaVersion;
    statements.push(
      `COMMENT ON TABLE ${table} IS ${quoteLiteral(`${meta.description} Record kind ${kind}, schema version ${version}.`)}`,
    );
  }
  for (const column of model.columns) {
    if (!column.description) continue;
    statements.push(
      `COMMENT ON COLUMN ${table}.${quoteIdentifier(column.column, "column name")} IS ${quoteLiteral(column.description)}`,
    );
  }
  return statements;
}

function createIndex(index: TableModel["indexes"][number], table: string): string {
  const columns = index.columns.map((entry) => {
    const [column = "", direction] = entry.split(" ");
    const quoted = quoteIdentifier(column, "column name");
    return direction === "DESC" || direction === "ASC" ? `${quoted} ${direction}` : quoted;
  });
  return `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(index.name, "index name")} ON ${table} (${columns.join(", ")})`;
}

// TimescaleDB enforces uniqueness per chunk, so a primary key without the time column is refused.
function checkPrimaryKeyHasTime(model: TableModel): void {
  if (model.primaryKey.includes(model.timeColumn)) return;
  throw qiError(
    "VALIDATION_FAILED",
    `${model.table}: the primary key (${model.primaryKey.join(", ")}) must include the time column ${model.timeColumn} to make a hypertable`,
    { context: { table: model.table, primaryKey: model.primaryKey, timeColumn: model.timeColumn } },
  );
}

// Compressed chunks are grouped by the key columns other than time (one series per
// group) and ordered by time, the access pattern of "latest values of a coin" queries.
// ALTER TABLE ... SET (timescaledb.compress) fails once chunks are compressed, so it
// only runs while compression is still off, keeping the statement re-runnable.
function compression(model: TableModel, table: string, schema: string, compressAfter: string): string[] {
  const segmentBy = model.primaryKey
    .filter((column) => column !== model.timeColumn)
    .map((column) => quoteIdentifier(column, "column name"))
    .join(", ");
  const orderBy = `${quoteIdentifier(model.timeColumn, "column name")} DESC`;
  const settings = [
    "timescaledb.compress",
    ...(segmentBy ? [`timescaledb.compress_segmentby = ${quoteLiteral(segmentBy)}`] : []),
    `timescaledb.compress_orderby = ${quoteLiteral(orderBy)}`,
  ];
  const enable = [
    "DO $$",
    "BEGIN",
    "  IF NOT EXISTS (",
    "    SELECT 1 FROM timescaledb_information.hypertables",
    `    WHERE hypertable_schema = ${quoteLiteral(schema)} AND hypertable_name = ${quoteLiteral(model.table)} AND compression_enabled`,
    "  ) THEN",
    `    ALTER TABLE ${table} SET (${settings.join(", ")});`,
    "  END IF;",
    "END",
    "$$",
  ].join("\n");
  return [
    enable,
    `SELECT add_compression_policy(${quoteLiteral(table)}, INTERVAL ${quoteLiteral(compressAfter)}, if_not_exists => TRUE)`,
  ];
}

function script(statements: readonly string[]): string {
  return statements.map((statement) => `${statement};`).join("\n");
}

function header(options: ResolvedOptions): string {
  const lines = [
    "-- QiCore record tables, generated from the DSL's zod schemas by @qicore/core. Do not edit:",
    "-- regenerate with `qicore schema sql` (or `pnpm --filter @qicore/core gen:schemas` in the repository).",
    `-- Edition: ${options.edition}${editionNote(options.edition)}. Schema: ${options.schema}. Every statement is idempotent.`,
  ];
  return lines.join("\n");
}

function editionNote(edition: SqlEdition): string {
  if (edition === "timescale") return " (hypertables, compression and compression policies)";
  if (edition === "apache") return " (TimescaleDB Apache-2 edition: hypertables, no compression)";
  return " (plain PostgreSQL: no hypertables)";
}

function kindHeader(kind: RecordKind): string {
  const definition = RECORD_KIND_DEFINITIONS[kind];
  return `-- ${definition.table}: ${kind} records (schema v${definition.schemaVersion}), time column ${tableModel(kind).timeColumn}`;
}
