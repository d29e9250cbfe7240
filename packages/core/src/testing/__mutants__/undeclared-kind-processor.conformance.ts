import { testProcessor } from "../processor-conformance";
import { undeclaredKindProcessor } from "./mutant-processors";

testProcessor({ adapter: undeclaredKindProcessor, config: {} });
