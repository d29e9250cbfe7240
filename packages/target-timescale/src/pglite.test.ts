import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, describe, expect, it } from "vitest";
import { timescaleConformance } from "../test-support/conformance";
import { priceRecords } from "../test-support/records";
import { describeTimescaleTarget } from "../test-support/scenarios";
import { closeEmbeddedDatabases, createTimescaleReader, createTimescaleTarget } from "./index";

timescaleConformance(() => ({ connectionString: "embedded:memory://conformance" }));

describeTimescaleTarget({
  label: "PGlite (embedded PostgreSQL, no TimescaleDB)",
  edition: "postgres",
  async open() {
    const pglite = await PGlite.create();
    return { options: { pglite }, cleanup: () => pglite.close() };
  },
});

describe("embedded mode", () => {
  const folders: string[] = [];
  afterAll(async () => {
    await closeEmbeddedDatabases();
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  it("keeps data in a folder with embedded:<dir> across close and reopen", async () => {
    const folder = await mkdtemp(join(tmpdir(), "qicore-embedded-"));
    folders.push(folder);
    const records = priceRecords(2_000, { coins: 4 });
    const first = createTimescaleTarget({ connectionString: "embedded:data", baseDir: folder });
    expect((await first.writeRecords("price", records)).failures).toEqual([]);
    await first.disconnect();

    const reopened = createTimescaleReader({ connectionString: `embedded:${join(folder, "data")}` });
    const latest = await reopened.getLatestPrices();
    await reopened.close();
    expect(latest.ok && latest.value.map((price) => price.usdPrice)).toEqual(
      records.slice(-4).map((record) => record.usdPrice),
    );
  });

  it("shares the in-memory database of `embedded` with readers opened later in the process", async () => {
    const target = createTimescaleTarget({ connectionString: "embedded", schema: "shared_memory" });
    const records = priceRecords(10, { coins: 2 });
    expect(await target.write("price", records)).toBeUndefined();
    await target.disconnect();
    const reader = createTimescaleReader({ connectionString: "embedded", schema: "shared_memory" });
    const latest = await reader.getLatestPrices();
    await reader.close();
    expect(latest.ok && latest.value).toHaveLength(2);
  });

  it("refuses a bad connection string or schema name with every problem listed", () => {
    expect(() => createTimescaleTarget({ connectionString: "mysql://x", schema: "Robert'); DROP" })).toThrow(
      /connectionString: expected a PostgreSQL URL.*schema: a SQL name/,
    );
  });
});
