import type { SourceDefinition, TargetDefinition } from "./types";

/**
 * Declares a source adapter. The identity at run time; it exists for the types (the
 * config type flows from `configSchema` into `create`) and so every adapter reads alike.
 *
 *     export const mySource = defineSource({
 *       name: "my-source", contractVersion: ADAPTER_CONTRACT_VERSION, coreVersion: "^0.1.0",
 *       configSchema: z.object({ url: z.string().url() }),
 *       capabilities: { kinds: ["price"] },
 *       create: (config, context) => ({ async *read() { ... } }),
 *     });
 */
export function defineSource<Config>(
  definition: Omit<SourceDefinition<Config>, "role">,
): SourceDefinition<Config> {
  return { ...definition, role: "source" };
}

/** Declares a target adapter; see defineSource. */
export function defineTarget<Config>(
  definition: Omit<TargetDefinition<Config>, "role">,
): TargetDefinition<Config> {
  return { ...definition, role: "target" };
}
