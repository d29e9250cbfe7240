import { type MarketRecord, tableModel } from "@qicore/core";
import { describe, expect, it } from "vitest";
import { priceRecords } from "../test-support/records";
import { arrayType, columnsOf, copyChunks, encodeBatch, sliceBatch, sourcesOf } from "./row-codec";

describe("row codec", () => {
  const model = tableModel("price");
  const column = (name: string) => model.columns.findIndex((entry) => entry.column === name);

  it("merges records with the same primary key, keeping the last and remembering every index", () => {
    const [first, second] = priceRecords(2, { coins: 2 }) as [MarketRecord, MarketRecord];
    const again = { ...first, usdPrice: "1.5" } as MarketRecord;
    const batch = encodeBatch(model, [first, second, again]);
    expect(batch.size).toBe(2);
    expect([sourcesOf(batch, 0), sourcesOf(batch, 1)]).toEqual([[0, 2], [1]]);
    expect(columnsOf(model, batch)[column("usd_price")]).toEqual([
      "1.5",
      (second as { usdPrice: string }).usdPrice,
    ]);
    const tail = sliceBatch(batch, 1, 5);
    expect(tail.size).toBe(1);
    expect(sourcesOf(tail, 0)).toEqual([1]);
    const thrice = encodeBatch(model, [first, again, { ...first, usdPrice: "2" } as MarketRecord]);
    expect(sourcesOf(thrice, 0)).toEqual([0, 1, 2]);
    expect(columnsOf(model, thrice)[column("usd_price")]).toEqual(["2"]);
  });

  it("writes COPY text with NULLs and escapes for tabs, newlines and backslashes", () => {
    const [record] = priceRecords(1) as [MarketRecord];
    const tricky = {
      ...record,
      symbol: "A\tB\nC\\D",
      attribution: "\\N",
      btcPrice: undefined,
    } as MarketRecord;
    const [text] = [...copyChunks(model, encodeBatch(model, [tricky]))];
    const cells = (text ?? "").replace(/\n$/, "").split("\t");
    expect(cells).toHaveLength(model.columns.length);
    expect(cells[column("symbol")]).toBe("A\\tB\\nC\\\\D");
    expect(cells[column("attribution")]).toBe("\\\\N");
    expect(cells[column("btc_price")]).toBe("\\N");
  });

  it("splits COPY text into chunks of whole lines", () => {
    const batch = encodeBatch(model, priceRecords(25) as MarketRecord[]);
    const chunks = [...copyChunks(model, batch, 10)];
    expect(chunks).toHaveLength(3);
    expect(chunks.join("").split("\n").filter(Boolean)).toHaveLength(25);
  });

  it("binds arrays without length or precision so the insert's cast checks the values", () => {
    const types = Object.fromEntries(model.columns.map((entry) => [entry.column, arrayType(entry)]));
    expect(types).toMatchObject({ coin_id: "text[]", usd_price: "numeric[]", last_updated: "timestamptz[]" });
    const ohlcv = tableModel("ohlcv").columns.find((entry) => entry.column === "is_final");
    expect(ohlcv && arrayType(ohlcv)).toBe("bool[]");
  });
});
