import { PGlite } from "@electric-sql/pglite";
import { tableModel } from "@qicore/core";
import { and, asc, eq } from "drizzle-orm";
import { getTableConfig } from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/pglite";
import { afterAll, describe, expect, it } from "vitest";
import { candleRecords, priceRecords } from "../test-support/records";
import { drizzleTables } from "./drizzle";
import { createTimescaleTarget } from "./index";

describe("drizzle tables generated from the DSL", () => {
  const pglite = new PGlite();
  afterAll(() => pglite.close());

  it("name the same tables, columns and keys as the migrations create", () => {
    const tables = drizzleTables("market");
    for (const [kind, table] of [
      ["price", tables.price],
      ["ohlcv", tables.ohlcv],
      ["analytics", tables.analytics],
    ] as const) {
      const model = tableModel(kind);
      const config = getTableConfig(table);
      expect(config.schema).toBe("market");
      expect(config.name).toBe(model.table);
      expect(config.columns.map((column) => column.name)).toEqual(
        model.columns.map((column) => column.column),
      );
      expect(config.primaryKeys[0]?.columns.map((column) => column.name)).toEqual(model.primaryKey);
    }
    expect(getTableConfig(drizzleTables().price).schema).toBeUndefined();
    expect(() => drizzleTables("Bad Name")).toThrow(/invalid schema name/);
  });

  it("query what the target wrote, with exact decimals", async () => {
    const target = createTimescaleTarget({ pglite, schema: "market" });
    const prices = priceRecords(20, { coins: 2 });
    expect(await target.write("price", prices)).toBeUndefined();
    expect(await target.write("ohlcv", candleRecords(3))).toBeUndefined();
    const tables = drizzleTables("market");
    const db = drizzle(pglite);
    const rows = await db
      .select()
      .from(tables.price)
      .where(and(eq(tables.price.coinId, "coin-1"), eq(tables.price.exchangeId, "aggregate")))
      .orderBy(asc(tables.price.lastUpdated))
      .limit(3);
    const expected = prices.filter((price) => price.coinId === "coin-1").slice(0, 3);
    // NUMERIC(20,8) text has 8 fractional digits, as these records do: the strings match exactly.
    expect(rows.map((row) => row.usdPrice)).toEqual(expected.map((price) => price.usdPrice));
    const candles = await db.select().from(tables.ohlcv).where(eq(tables.ohlcv.isFinal, false));
    expect(candles).toHaveLength(1);
    await target.disconnect();
  });
});
