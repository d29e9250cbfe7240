import { fileURLToPath } from "node:url";
import { testSource } from "@qicore/core/testing";
import { csvPriceSource } from "./csv-price-source";

// The third-party adapter passes the same conformance suite as QiCore's own adapters.
// (The suite checks records of every batch; this file's rows are the valid ones.)
testSource({
  adapter: csvPriceSource,
  config: { path: fileURLToPath(new URL("./valid-prices.csv", import.meta.url)), batchSize: 2 },
});
