/**
 * A pipeline process for the crash and scale-out tests: runs the pipeline file given as
 * the first argument (JSON) with the Kafka source and the TimescaleDB target registered,
 * until SIGTERM (graceful: drain, commit, exit 0) or SIGKILL (the test's crash).
 *
 *     node --import tsx test-support/pipeline-process.ts pipeline.json
 */
import { readFileSync } from "node:fs";
import { createConsoleLogger, createRegistry, memoryTarget, Pipeline } from "@qicore/core";
import { timescaleTarget } from "@qicore/target-timescale";
import { redpandaSource } from "../src/source";

const file = process.argv[2];
if (!file) {
  process.stderr.write("usage: pipeline-process.ts <pipeline.json>\n");
  process.exit(2);
}
const logger = createConsoleLogger({ level: "info", format: "json" });
const loaded = await Pipeline.fromConfig(JSON.parse(readFileSync(file, "utf8")), {
  registry: createRegistry(redpandaSource, timescaleTarget, memoryTarget),
  logger,
});
if (!loaded.ok) {
  logger.error("pipeline failed to load", { error: loaded.error.message });
  process.exit(1);
}
const pipeline = loaded.value;
const started = await pipeline.start();
if (!started.ok) {
  logger.error("pipeline failed to start", { error: started.error.message });
  process.exit(1);
}
logger.info("pipeline started", { pid: process.pid });
process.on("SIGTERM", () => {
  void pipeline.destroy().then((summary) => {
    logger.info("pipeline stopped", { state: summary.state, recordsIn: summary.recordsIn });
    process.exit(summary.state === "stopped" ? 0 : 1);
  });
});
const summary = await pipeline.done;
if (summary.state === "failed") {
  logger.error("pipeline failed", { error: summary.error?.message });
  process.exit(1);
}
