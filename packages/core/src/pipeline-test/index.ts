export {
  type PipelineTestReport,
  type PipelineTestResult,
  type RunPipelineTestsOptions,
  runPipelineTests,
} from "./run-tests";
export { type PipelineTestCase, type PipelineTestFile, testFileSchema } from "./test-file";
