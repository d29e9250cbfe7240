import { testTarget } from "../target-conformance";
import { floatTarget } from "./mutant-adapters";

testTarget({
  adapter: floatTarget,
  config: {},
  readBack: (kind, handlers) =>
    (handlers as unknown as { storedRecords: () => never[] })
      .storedRecords()
      .filter((record: { coinId?: string; usdPrice?: string }) =>
        kind === "price" ? record.usdPrice !== undefined : record.usdPrice === undefined,
      ),
});
