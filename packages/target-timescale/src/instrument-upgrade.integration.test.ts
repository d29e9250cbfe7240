import pg from "pg";
import { requireTimescaleUrl } from "../../../test/services";
import { createScratchDatabase } from "../test-support/services";
import { describeUpgradeFromRelease } from "../test-support/upgrade";

// The services machine's TimescaleDB is the Apache-2 edition (hypertables, no compression).
const url = requireTimescaleUrl();

describeUpgradeFromRelease("TimescaleDB (Apache-2 edition)", "apache", async (name) => {
  const scratch = await createScratchDatabase(url, name);
  return {
    options: { connectionString: scratch.url, timescale: "require" },
    async run(sql) {
      const client = new pg.Client({ connectionString: scratch.url });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    },
    cleanup: scratch.drop,
  };
});
