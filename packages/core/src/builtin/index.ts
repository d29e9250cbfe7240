import type { AdapterDefinition } from "../adapters/types";
import { fileTarget } from "./file-target";
import { memoryTarget } from "./memory-target";
import { syntheticSource } from "./synthetic-source";

export { syntheticSource, syntheticConfigSchema, SyntheticGenerator, type SyntheticConfig } from "./synthetic-source";
export { memoryTarget, memoryStore, MemoryStore, type MemoryTargetConfig } from "./memory-target";
export { fileTarget, type FileTargetConfig } from "./file-target";

/** The adapters that ship with the core and every registry knows. */
export const BUILTIN_ADAPTERS: readonly AdapterDefinition[] = [syntheticSource, memoryTarget, fileTarget];
