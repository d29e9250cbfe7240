import { testSource } from "../source-conformance";
import { checkpointIgnoringSource } from "./mutant-adapters";

testSource({ adapter: checkpointIgnoringSource, config: {} });
