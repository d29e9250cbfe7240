import { testProcessor } from "../processor-conformance";
import { forgetfulRestoringProcessor } from "./mutant-processors";

testProcessor({ adapter: forgetfulRestoringProcessor, config: { widths: ["1m", "5m"] } });
