import { PGlite } from "@electric-sql/pglite";
import { describe, expect, it } from "vitest";
import { QiError } from "../../errors/qi-error";
import { RECORD_KINDS } from "../kinds";
import { tableModel } from "../table-model";
import { generateSchemaSql, generateTableSql, SQL_EDITIONS, schemaStatements, tableStatements } from "./sql";

function occurrences(text: string, fragment: string): number {
  return text.split(fragment).length - 1;
}

function refusal(action: () => unknown): QiError {
  try {
    action();
  } catch (thrown) {
    if (QiError.isInstance(thrown)) return thrown;
    throw thrown;
  }
  throw new Error("expected a QiError, nothing was thrown");
}

describe("TimescaleDB DDL", () => {
  for (const edition of SQL_EDITIONS) {
    it(`matches the committed snapshot for the ${edition} edition`, async () => {
      await expect(generateSchemaSql({ edition })).toMatchFileSnapshot(
        `./__snapshots__/schema.${edition}.sql`,
      );
    });
  }

  it("makes hypertables and compression only where the edition has them", () => {
    const timescale = generateSchemaSql({ edition: "timescale" });
    const apache = generateSchemaSql({ edition: "apache" });
    const postgres = generateSchemaSql({ edition: "postgres" });
    const tables = RECORD_KINDS.length;
    expect(occurrences(timescale, "SELECT create_hypertable(")).toBe(tables);
    expect(occurrences(timescale, "add_compression_policy(")).toBe(tables);
    expect(occurrences(apache, "SELECT create_hypertable(")).toBe(tables);
    expect(apache).not.toContain("timescaledb.compress");
    expect(apache).not.toContain("add_compression_policy");
    expect(postgres).not.toContain("create_hypertable");
    expect(postgres).not.toContain("timescaledb");
    for (const text of [timescale, apache, postgres]) {
      expect(occurrences(text, "CREATE TABLE IF NOT EXISTS")).toBe(tables);
      expect(occurrences(text, "PRIMARY KEY")).toBe(tables);
    }
  });

  it("partitions each hypertable on the kind's time column with the chunk interval asked for", () => {
    const text = generateSchemaSql({ edition: "apache", schema: "market", chunkInterval: "12 hours" });
    for (const kind of RECORD_KINDS) {
      const { table, timeColumn } = tableModel(kind);
      expect(text).toContain(
        `SELECT create_hypertable('"market"."${table}"', by_range('${timeColumn}', INTERVAL '12 hours')`,
      );
    }
    expect(text).toContain('CREATE SCHEMA IF NOT EXISTS "market"');
    expect(generateSchemaSql()).not.toContain("CREATE SCHEMA");
  });

  it("refuses a schema name that is not a plain lowercase identifier, as a VALIDATION QiError", () => {
    for (const schema of [
      'qicore"; DROP TABLE x; --',
      "Market",
      "1market",
      "",
      "a".repeat(64),
      "market-data",
    ]) {
      const error = refusal(() => generateSchemaSql({ schema }));
      expect(error.category).toBe("VALIDATION");
      expect(error.code).toBe("VALIDATION_FAILED");
      expect(error.message).toContain("schema name");
      expect(() => schemaStatements({ schema })).toThrow(QiError);
    }
    expect(generateSchemaSql({ schema: "market_data_2" })).toContain('"market_data_2"."crypto_prices"');
    expect(generateSchemaSql({ schema: "a".repeat(63) })).toContain(`"${"a".repeat(63)}"`);
  });

  it("refuses intervals and editions it cannot put into SQL safely", () => {
    for (const chunkInterval of ["1 day'); DROP TABLE x; --", "soon", "1d", ""]) {
      expect(refusal(() => generateSchemaSql({ chunkInterval })).message).toContain("chunkInterval");
    }
    expect(refusal(() => generateSchemaSql({ compressAfter: "7 days; --" })).category).toBe("VALIDATION");
    expect(refusal(() => generateSchemaSql({ edition: "mysql" as never })).message).toContain("edition");
    expect(generateSchemaSql({ chunkInterval: " 1  DAY " })).toContain("INTERVAL '1 day'");
  });

  it("gives statements one by one, without terminators, in the order of the script", () => {
    const statements = schemaStatements({ edition: "timescale" });
    const text = generateSchemaSql({ edition: "timescale" });
    let position = 0;
    for (const statement of statements) {
      expect(statement.endsWith(";")).toBe(false);
      const found = text.indexOf(`${statement};`, position);
      expect(found, statement.slice(0, 80)).toBeGreaterThanOrEqual(position);
      position = found;
    }
    expect(statements[0]).toBe("CREATE EXTENSION IF NOT EXISTS timescaledb");
  });

  it("generates one table on its own", () => {
    const text = generateTableSql("ohlcv", { edition: "apache" });
    expect(text).toContain('CREATE TABLE IF NOT EXISTS "public"."crypto_ohlcv"');
    expect(text).not.toContain("crypto_prices");
    expect(text).toContain("CREATE EXTENSION IF NOT EXISTS timescaledb");
    expect(tableStatements("ohlcv", { edition: "apache" })[0]).toMatch(/^CREATE TABLE IF NOT EXISTS/);
  });

  it("runs on PostgreSQL (postgres edition, in-process PGlite), twice, giving the modelled tables", async () => {
    const database = new PGlite();
    try {
      const statements = schemaStatements({ edition: "postgres", schema: "market" });
      for (let round = 0; round < 2; round++) {
        for (const statement of statements) await database.exec(statement);
      }
      for (const kind of RECORD_KINDS) {
        const model = tableModel(kind);
        const columns = await database.query<{ name: string; type: string; nullable: string }>(
          `SELECT column_name AS name, format_type(atttypid, atttypmod) AS type, is_nullable AS nullable
             FROM information_schema.columns
             JOIN pg_attribute ON attrelid = ('market.' || table_name)::regclass AND attname = column_name
            WHERE table_schema = 'market' AND table_name = $1 ORDER BY ordinal_position`,
          [model.table],
        );
        expect(columns.rows.map((row) => row.name)).toEqual(model.columns.map((column) => column.column));
        for (const [index, column] of model.columns.entries()) {
          const row = columns.rows[index];
          expect(row?.type.toUpperCase().replace("CHARACTER VARYING", "VARCHAR").replace(/, /g, ",")).toBe(
            column.sqlType.replace("TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"),
          );
          expect(row?.nullable).toBe(column.nullable ? "YES" : "NO");
        }
        const key = await database.query<{ column: string }>(
          `SELECT a.attname AS column FROM pg_index i
             JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ON TRUE
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY k.position`,
          [`market.${model.table}`],
        );
        expect(key.rows.map((row) => row.column)).toEqual(model.primaryKey);
        const indexes = await database.query<{ name: string }>(
          "SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'market' AND tablename = $1",
          [model.table],
        );
        for (const index of model.indexes) expect(indexes.rows.map((row) => row.name)).toContain(index.name);
        const comment = await database.query<{ text: string | null }>(
          "SELECT col_description($1::regclass, 1) AS text",
          [`market.${model.table}`],
        );
        expect(comment.rows[0]?.text).toBe(model.columns[0]?.description);
      }
    } finally {
      await database.close();
    }
  });
});
