import { testProcessor } from "../processor-conformance";
import { inputMutatingProcessor } from "./mutant-processors";

testProcessor({ adapter: inputMutatingProcessor, config: {} });
