import { afterAll } from "vitest";
import { requirePostgresUrl } from "../../../test/services";
import { timescaleConformance } from "../test-support/conformance";
import { describeConnectionLoss } from "../test-support/connection-loss";
import { describePipelineRun } from "../test-support/pipeline-run";
import { describeTimescaleTarget } from "../test-support/scenarios";
import { createScratchDatabase } from "../test-support/services";

const url = requirePostgresUrl();

describeTimescaleTarget({
  label: "PostgreSQL without TimescaleDB",
  edition: "postgres",
  async open() {
    const scratch = await createScratchDatabase(url, "postgres");
    return { options: { connectionString: scratch.url }, cleanup: scratch.drop };
  },
});

describeConnectionLoss("PostgreSQL", async () => {
  const scratch = await createScratchDatabase(url, "postgres_kill");
  return { url: scratch.url, cleanup: scratch.drop };
});

const conformanceDatabase = createScratchDatabase(url, "postgres_conformance");
afterAll(async () => (await conformanceDatabase).drop());
timescaleConformance(async () => ({ connectionString: (await conformanceDatabase).url }));

describePipelineRun("PostgreSQL", async () => {
  const scratch = await createScratchDatabase(url, "postgres_pipeline");
  return { url: scratch.url, cleanup: scratch.drop };
});
