import type { AdapterDefinition } from "../adapters/types";
import { BUILTIN_PROCESSORS } from "../processors/index";
import { fileTarget } from "./file-target";
import { memoryTarget } from "./memory-target";
import { syntheticSource } from "./synthetic-source";

export { type FileTargetConfig, fileTarget } from "./file-target";
export { MemoryStore, type MemoryTargetConfig, memoryStore, memoryTarget } from "./memory-target";
export {
  type SyntheticConfig,
  SyntheticGenerator,
  syntheticConfigSchema,
  syntheticSource,
} from "./synthetic-source";

/** The adapters that ship with the core and every registry knows. */
export const BUILTIN_ADAPTERS: readonly AdapterDefinition[] = [
  syntheticSource,
  memoryTarget,
  fileTarget,
  ...BUILTIN_PROCESSORS,
];
