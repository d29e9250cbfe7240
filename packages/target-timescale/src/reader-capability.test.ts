import { type AdapterContext, parseAdapterConfig, silentLogger, unwrap } from "@qicore/core/adapter";
import { afterAll, describe, expect, it } from "vitest";
import { priceRecords } from "../test-support/records";
import { closeEmbeddedDatabases, createTimescaleTarget, timescaleTarget, trimDecimal } from "./index";

// The reader capability as the MCP server uses it: the definition opens a reader from a
// pipeline's parsed config, without creating the target.
const context = (id: string): AdapterContext & { clientName: string } => ({
  id,
  pipelineName: "reader-capability",
  logger: silentLogger,
  baseDir: process.cwd(),
  signal: new AbortController().signal,
  clientName: "qicore-reader-test",
});

describe("timescale target's reader capability (openReader)", () => {
  afterAll(() => closeEmbeddedDatabases());

  it("reads what the target wrote, from the same config", async () => {
    const config = unwrap(
      parseAdapterConfig(timescaleTarget, { connectionString: "embedded", schema: "reader_capability" }),
    );
    const target = await timescaleTarget.create(config, context("db"));
    const records = priceRecords(12, { coins: 3 });
    await target.connect?.();
    expect(await target.write("price", records)).toBeUndefined();
    // The running target offers its own reader too, over its connection.
    expect(target.reader).toBeDefined();

    const reader = await timescaleTarget.openReader?.(config, context("db"));
    if (!reader) throw new Error("timescale has no openReader");
    const latest = unwrap(await reader.getLatestPrices());
    const history = unwrap(
      await reader.getPriceHistory(records[0]?.coinId ?? "", new Date(0), new Date("2100-01-01")),
    );
    await reader.close();
    await target.disconnect?.();
    expect(latest.map((price) => price.usdPrice).sort()).toEqual(
      records
        .slice(-3)
        .map((record) => trimDecimal(record.usdPrice))
        .sort(),
    );
    expect(history).toHaveLength(4);
  });

  it("creates no tables: a reader of an empty schema fails its query and leaves the schema empty", async () => {
    const config = unwrap(
      parseAdapterConfig(timescaleTarget, { connectionString: "embedded", schema: "reader_never_migrated" }),
    );
    const reader = await timescaleTarget.openReader?.(config, context("db"));
    if (!reader) throw new Error("timescale has no openReader");
    const latest = await reader.getLatestPrices();
    await reader.close();
    expect(latest.ok).toBe(false);

    const inspector = createTimescaleTarget({ connectionString: "embedded", migrate: false });
    const tables = await (await inspector.database()).query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1",
      ["reader_never_migrated"],
    );
    await inspector.disconnect();
    expect(tables.rows).toEqual([]);
  });
});
