import pg from "pg";
import { afterAll } from "vitest";
import { expectedTimescaleLicense, requireTimescaleUrl } from "../../../test/services";
import { timescaleConformance } from "../test-support/conformance";
import { describeConnectionLoss } from "../test-support/connection-loss";
import { describePipelineRun } from "../test-support/pipeline-run";
import { describeTimescaleTarget } from "../test-support/scenarios";
import { createScratchDatabase } from "../test-support/services";
import type { EditionName } from "./edition";

// services.sh runs Debian's build (Apache-2 edition); the timescale/timescaledb image is
// the Timescale License edition. Ask the server when the provider does not say.
async function serverEdition(url: string): Promise<EditionName> {
  const promised = expectedTimescaleLicense();
  if (promised) return promised === "apache" ? "apache" : "timescale";
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query("SELECT current_setting('timescaledb.license', true) AS license");
    return result.rows[0]?.license === "apache" ? "apache" : "timescale";
  } finally {
    await client.end();
  }
}

const url = requireTimescaleUrl();

describeTimescaleTarget({
  label: "TimescaleDB",
  edition: await serverEdition(url),
  async open() {
    const scratch = await createScratchDatabase(url, "timescale");
    return { options: { connectionString: scratch.url, timescale: "require" }, cleanup: scratch.drop };
  },
});

describeConnectionLoss("TimescaleDB", async () => {
  const scratch = await createScratchDatabase(url, "timescale_kill");
  return { url: scratch.url, cleanup: scratch.drop };
});

const conformanceDatabase = createScratchDatabase(url, "timescale_conformance");
afterAll(async () => (await conformanceDatabase).drop());
timescaleConformance(async () => ({ connectionString: (await conformanceDatabase).url }));

describePipelineRun("TimescaleDB", async () => {
  const scratch = await createScratchDatabase(url, "timescale_pipeline");
  return { url: scratch.url, cleanup: scratch.drop };
});
