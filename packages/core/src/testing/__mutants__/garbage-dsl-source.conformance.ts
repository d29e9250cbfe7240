import { testSource } from "../source-conformance";
import { garbageDslSource } from "./mutant-adapters";

testSource({ adapter: garbageDslSource, config: {} });
