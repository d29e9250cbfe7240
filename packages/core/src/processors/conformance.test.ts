/**
 * Every built-in processor passes the conformance suite third-party processors run, each with
 * a config and input it acts on (so outputs, holds and rejections are exercised, not only
 * pass-through).
 */

import { testProcessor } from "../testing/processor-conformance";
import { sampleRecords } from "../testing/sample-records";
import { candlesProcessor } from "./candles";
import { consolidateProcessor } from "./consolidate";
import { dedupeProcessor } from "./dedupe";
import { filterProcessor, selectProcessor } from "./filter";
import { quarantineProcessor } from "./quarantine";
import { resampleProcessor } from "./resample";

testProcessor({ adapter: candlesProcessor, config: { widths: ["1m", "5m"] } });
testProcessor({ adapter: candlesProcessor, config: { widths: ["2m"], late: "revise", forwardFill: true } });
testProcessor({ adapter: resampleProcessor, config: { widths: ["5m", "15m"] } });
testProcessor({ adapter: filterProcessor, config: { coins: ["bitcoin"] } });
testProcessor({ adapter: selectProcessor, config: { where: 'instrument != "solana" && exchangeId != "x"' } });
// A tight limit, so the sample's minute-to-minute moves send some records to dead letters.
testProcessor({ adapter: quarantineProcessor, config: { maxJump: 0.003, minSamples: 3 } });
testProcessor({ adapter: consolidateProcessor, config: { method: "volume-weighted", keepInput: true } });
testProcessor({
  adapter: dedupeProcessor,
  config: { keys: 1000 },
  input: async (kind) => {
    const records = await sampleRecords(kind, 30);
    return [...records, ...records.slice(0, 10)];
  },
});
