/**
 * Test helpers for adapter authors: the conformance suite every adapter runs
 * (testSource, testTarget, testProcessor), pipeline unit tests (runPipelineTests, what
 * `qicore test` runs) and in-memory test doubles.
 */

export { MemoryStore, memoryStore, memoryTarget } from "../builtin/memory-target";
export { syntheticSource } from "../builtin/synthetic-source";
export {
  type PipelineTestReport,
  type PipelineTestResult,
  type RunPipelineTestsOptions,
  runPipelineTests,
} from "../pipeline-test/index";
export { createMemoryLogger, silentLogger } from "../runtime/logger";
export { MemoryStateStore } from "../runtime/state-store";
export { precisionRecords } from "./precision-records";
export { type TestProcessorOptions, testProcessor } from "./processor-conformance";
export { sampleRecords } from "./sample-records";
export { type TestSourceOptions, testSource } from "./source-conformance";
export { type TestTargetOptions, testTarget } from "./target-conformance";
