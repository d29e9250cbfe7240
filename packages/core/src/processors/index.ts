import type { AdapterDefinition } from "../adapters/types";
import { candlesProcessor } from "./candles";
import { consolidateProcessor } from "./consolidate";
import { dedupeProcessor } from "./dedupe";
import { filterProcessor, selectProcessor } from "./filter";
import { quarantineProcessor } from "./quarantine";
import { resampleProcessor } from "./resample";

export { type CandlesConfig, candlesProcessor, createCandleBuilder } from "./candles";
export { consolidateProcessor } from "./consolidate";
export { dedupeProcessor } from "./dedupe";
export { compileExpression } from "./expression";
export { filterProcessor, selectProcessor } from "./filter";
export { quarantineProcessor } from "./quarantine";
export { resampleProcessor } from "./resample";

/** The processors every registry knows. */
export const BUILTIN_PROCESSORS: readonly AdapterDefinition[] = [
  candlesProcessor,
  resampleProcessor,
  filterProcessor,
  selectProcessor,
  quarantineProcessor,
  consolidateProcessor,
  dedupeProcessor,
];
