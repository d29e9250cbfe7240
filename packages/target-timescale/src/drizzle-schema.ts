import { type ColumnModel, type RecordKind, type RecordOfKind, tableModel } from "@qicore/core/adapter";
import {
  boolean,
  integer,
  jsonb,
  numeric,
  type PgColumnBuilderBase,
  pgSchema,
  pgTable,
  primaryKey,
  text,
  timestamp,
  varchar,
} from "drizzle-orm/pg-core";
import { SQL_IDENTIFIER } from "./config";
import { STATE_TABLE } from "./migrations";

/** One column builder per field of a kind's records. */
type ColumnsOf<K extends RecordKind> = { [F in keyof RecordOfKind[K] & string]-?: PgColumnBuilderBase };

function column(model: ColumnModel): PgColumnBuilderBase {
  const sqlType = model.sqlType.toUpperCase();
  const sized = /^(VARCHAR|NUMERIC)\((\d+)(?:,\s*(\d+))?\)$/.exec(sqlType);
  let builder: PgColumnBuilderBase & { notNull(): PgColumnBuilderBase };
  if (sized?.[1] === "VARCHAR") builder = varchar(model.column, { length: Number(sized[2]) });
  else if (sized?.[1] === "NUMERIC") {
    builder = numeric(model.column, { precision: Number(sized[2]), scale: Number(sized[3] ?? 0) });
  } else if (sqlType === "TIMESTAMPTZ")
    builder = timestamp(model.column, { withTimezone: true, mode: "string" });
  else if (sqlType === "INTEGER") builder = integer(model.column);
  else if (sqlType === "BOOLEAN") builder = boolean(model.column);
  else if (sqlType === "TEXT") builder = text(model.column);
  else throw new Error(`no drizzle column type for ${model.sqlType} (${model.column})`);
  return model.nullable ? builder : builder.notNull();
}

/**
 * drizzle-orm table objects for QiCore's tables, generated from the same table model as
 * the DDL, so typed queries with drizzle need no second schema. Keys are the records'
 * field names (`coinId`); decimals and times come back as strings.
 *
 *     const tables = drizzleTables("market");
 *     const db = drizzle(pool);
 *     await db.select().from(tables.price).where(eq(tables.price.coinId, "bitcoin")).limit(10);
 */
export function drizzleTables(schema = "public") {
  if (!SQL_IDENTIFIER.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
  // drizzle refuses pgSchema("public"); both builders take the same arguments.
  const namespace = schema === "public" ? undefined : pgSchema(schema);
  const table = (namespace ? namespace.table.bind(namespace) : pgTable) as typeof pgTable;
  const record = <K extends RecordKind>(kind: K) => {
    const model = tableModel(kind);
    const columns = Object.fromEntries(
      model.columns.map((entry) => [entry.field, column(entry)]),
    ) as ColumnsOf<K>;
    const fieldOf = (name: string) => model.columns.find((entry) => entry.column === name)?.field as string;
    return table(model.table, columns, (built) => [
      primaryKey({
        columns: model.primaryKey.map((name) => built[fieldOf(name) as keyof typeof built]) as never,
      }),
    ]);
  };
  const price = record("price");
  const ohlcv = record("ohlcv");
  const analytics = record("analytics");
  const state = table(
    STATE_TABLE,
    {
      pipeline: text("pipeline").notNull(),
      sourceId: text("source_id").notNull(),
      checkpoint: jsonb("checkpoint"),
      updatedAt: timestamp("updated_at", { withTimezone: true, mode: "string" }).notNull().defaultNow(),
    },
    (built) => [primaryKey({ columns: [built.pipeline, built.sourceId] })],
  );
  return { price, ohlcv, analytics, state };
}
