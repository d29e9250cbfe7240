import type { AdapterContext } from "../adapters/types";
import { silentLogger } from "../runtime/logger";

export type Awaitable<T> = T | Promise<T>;

/** The context the suites create adapters with: a silent logger, the working folder. */
export function contextFor(id: string): AdapterContext {
  return {
    id,
    pipelineName: "conformance",
    logger: silentLogger,
    baseDir: process.cwd(),
    signal: new AbortController().signal,
  };
}

/** The suite's config, parsed by the adapter's own schema as a pipeline file's would be. */
export async function resolveConfig(
  definition: {
    configSchema: { safeParse: (input: unknown) => { success: boolean; data?: unknown; error?: unknown } };
  },
  config: unknown,
): Promise<unknown> {
  const raw = typeof config === "function" ? await (config as () => Awaitable<unknown>)() : config;
  const parsed = definition.configSchema.safeParse(raw);
  if (!parsed.success)
    throw new Error(`the config given to the conformance suite is invalid: ${String(parsed.error)}`);
  return parsed.data;
}
