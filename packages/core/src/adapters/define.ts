import type { z } from "zod";
import { locateProblems } from "../config/problems";
import type { ConfigProblem } from "../config/types";
import { parseConfig } from "../config/zod-problems";
import { type QiError, qiError } from "../errors/qi-error";
import { err, ok, type Result } from "../result/result";
import type { AdapterDefinition, ProcessorDefinition, SourceDefinition, TargetDefinition } from "./types";

/**
 * Declares a source adapter. The identity at run time; it exists for the types (the config
 * type is inferred from `configSchema` and flows into `create`) and so every adapter reads alike.
 *
 *     export const mySource = defineSource({
 *       name: "my-source", contractVersion: ADAPTER_CONTRACT_VERSION, coreVersion: "^0.1.0",
 *       configSchema: z.strictObject({ url: z.url() }),
 *       capabilities: { kinds: ["price"] },
 *       create: (config, context) => ({ async *read() { ... } }), // config: { url: string }
 *     });
 */
export function defineSource<const Schema extends z.ZodType>(
  definition: Omit<SourceDefinition<z.output<Schema>>, "role" | "configSchema"> & { configSchema: Schema },
): SourceDefinition<z.output<Schema>> {
  // The schema's output type is the config type by construction.
  return {
    ...definition,
    configSchema: definition.configSchema as z.ZodType<z.output<Schema>>,
    role: "source",
  };
}

/** Declares a target adapter; see defineSource. */
export function defineTarget<const Schema extends z.ZodType>(
  definition: Omit<TargetDefinition<z.output<Schema>>, "role" | "configSchema"> & { configSchema: Schema },
): TargetDefinition<z.output<Schema>> {
  return {
    ...definition,
    configSchema: definition.configSchema as z.ZodType<z.output<Schema>>,
    role: "target",
  };
}

/**
 * Declares a processor: a step between sources and targets that takes records of
 * `capabilities.kinds` and hands on records of `capabilities.emits`; see defineSource.
 */
export function defineProcessor<const Schema extends z.ZodType>(
  definition: Omit<ProcessorDefinition<z.output<Schema>>, "role" | "configSchema"> & { configSchema: Schema },
): ProcessorDefinition<z.output<Schema>> {
  return {
    ...definition,
    configSchema: definition.configSchema as z.ZodType<z.output<Schema>>,
    role: "processor",
  };
}

/**
 * Checks options against an adapter's config schema the way pipeline files are checked:
 * every problem at once, each with its path and a message written for people (unknown keys
 * with a did-you-mean). For embedders that create an adapter in code:
 *
 *     const config = unwrap(parseAdapterConfig(timescaleTarget, { connectionString }));
 */
export function parseAdapterConfig<Config>(
  definition: { name: string; role: AdapterDefinition["role"]; configSchema: z.ZodType<Config> },
  options: unknown,
): Result<Config, QiError & { context: { problems: ConfigProblem[] } }> {
  const parsed = parseConfig(definition.configSchema, options ?? {}, [], new Set());
  if (parsed.ok) return ok(parsed.data);
  const problems = locateProblems(parsed.problems, undefined, undefined);
  const listed = problems.map((problem) => `${problem.path || "(options)"}: ${problem.message}`).join("; ");
  return err(
    qiError("CONFIG_INVALID", `${definition.role} "${definition.name}": invalid options: ${listed}`, {
      context: { adapter: definition.name, problems },
    }) as QiError & { context: { problems: ConfigProblem[] } },
  );
}
