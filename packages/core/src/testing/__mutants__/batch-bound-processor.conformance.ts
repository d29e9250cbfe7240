import { testProcessor } from "../processor-conformance";
import { batchBoundProcessor } from "./mutant-processors";

testProcessor({ adapter: batchBoundProcessor, config: {} });
