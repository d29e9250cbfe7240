import { type RecordKind, tableModel } from "@qicore/core/adapter";
import { qualifiedName, quoteIdentifier } from "./database";

/**
 * Schema version 5 for tables made by 0.1.0: prices and candles become series of an
 * instrument in a quote currency (`instrument`, `quote`, `asset_class` columns, the
 * primary key per exchange, instrument and quote), the coin id becomes optional, and
 * candle prices get the exchanges' precision (NUMERIC(30,12)).
 *
 * Rows keep their meaning: a 0.1.0 row was a coin in US dollars, so its instrument is its
 * coin id and its quote `USD`, exactly what today's schema gives a CoinGecko record, and
 * a replay of old records updates those rows instead of adding new ones.
 *
 * One DO block per table, doing nothing when the key is already the new one (a database
 * created by this release, or a second run). Compressed chunks cannot take the new key:
 * they are decompressed and compression is switched off first; the generated DDL that
 * runs after these blocks switches it on again with the new segmentation, and the
 * compression policy compresses the chunks again later.
 */
export function instrumentUpgradeStatements(schema: string): string[] {
  return (["price", "ohlcv"] as const).map((kind) => upgradeTable(schema, kind));
}

/** Columns added with the value 0.1.0's rows stand for (every one was a coin in US dollars). */
const ADDED_COLUMNS: Record<string, string> = {
  quote: "'USD'",
  asset_class: "'crypto'",
};

function upgradeTable(schema: string, kind: RecordKind): string {
  const model = tableModel(kind);
  const table = qualifiedName(schema, model.table);
  const column = (field: string) => {
    const found = model.columns.find((candidate) => candidate.field === field);
    if (!found) throw new Error(`${kind} records have no field ${field}`);
    return found;
  };
  const instrument = column("instrument");
  const coin = quoteIdentifier(column("coinId").column);
  const wanted = model.primaryKey.map((name) => `'${name}'`).join(", ");
  const added = Object.entries(ADDED_COLUMNS).map(([name, value]) => {
    const sqlType = model.columns.find((candidate) => candidate.column === name)?.sqlType;
    if (!sqlType) throw new Error(`${model.table} has no column ${name}`);
    const quoted = quoteIdentifier(name);
    return [
      `    ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${quoted} ${sqlType} NOT NULL DEFAULT ${value};`,
      `    ALTER TABLE ${table} ALTER COLUMN ${quoted} DROP DEFAULT;`,
    ].join("\n");
  });
  // Columns whose type 0.1.0 made narrower than today's model (candle prices).
  const widened = model.columns
    .filter((entry) => entry.valueType === "decimal" && /^NUMERIC\(30,12\)$/.test(entry.sqlType))
    .map(
      (entry) =>
        `    ALTER TABLE ${table} ALTER COLUMN ${quoteIdentifier(entry.column)} TYPE ${entry.sqlType};`,
    );
  const base = model.columns.find((entry) => entry.field === "base");
  const optionalBase = base
    ? [`    ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${quoteIdentifier(base.column)} ${base.sqlType};`]
    : [];
  return `DO $$
DECLARE
  current_key TEXT[];
  key_name TEXT;
BEGIN
  SELECT array_agg(a.attname::text ORDER BY k.position), min(c.conname)
    INTO current_key, key_name
    FROM pg_constraint c
    CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, position)
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
   WHERE c.conrelid = '${table}'::regclass AND c.contype = 'p';
  IF current_key = ARRAY[${wanted}]::TEXT[] THEN
    RETURN;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    IF EXISTS (
      SELECT 1 FROM timescaledb_information.hypertables
      WHERE hypertable_schema = '${schema}' AND hypertable_name = '${model.table}' AND compression_enabled
    ) THEN
      PERFORM decompress_chunk(chunk, if_compressed => TRUE) FROM show_chunks('${table}') AS chunk;
      PERFORM remove_compression_policy('${table}', if_exists => TRUE);
      ALTER TABLE ${table} SET (timescaledb.compress = FALSE);
    END IF;
  END IF;
    ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${quoteIdentifier(instrument.column)} ${instrument.sqlType};
    UPDATE ${table} SET ${quoteIdentifier(instrument.column)} = ${coin} WHERE ${quoteIdentifier(instrument.column)} IS NULL;
    ALTER TABLE ${table} ALTER COLUMN ${quoteIdentifier(instrument.column)} SET NOT NULL;
${[...optionalBase, ...added, ...widened].join("\n")}
    EXECUTE format('ALTER TABLE ${table} DROP CONSTRAINT %I', key_name);
    ALTER TABLE ${table} ALTER COLUMN ${coin} DROP NOT NULL;
    ALTER TABLE ${table} ADD PRIMARY KEY (${model.primaryKey.map(quoteIdentifier).join(", ")});
END
$$`;
}
