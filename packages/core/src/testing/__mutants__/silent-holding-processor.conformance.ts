import { testProcessor } from "../processor-conformance";
import { silentHoldingProcessor } from "./mutant-processors";

testProcessor({ adapter: silentHoldingProcessor, config: {} });
